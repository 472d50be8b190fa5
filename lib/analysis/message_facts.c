/*
 * message_facts.c - the facts of a test message and its job (see
 * message_facts.h).
 *
 * Bounds are applied when a fact is stored, so a hostile client cannot
 * make the milter hold more than FACTS_MAX_* strings of FACTS_TEXT_MAX
 * bytes per message, whatever it sends.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/address.h"
#include "analysis/headers.h"
#include "analysis/message_facts.h"
#include "analysis/received.h"
#include "base/log.h"

/* bounded_dup - at most FACTS_TEXT_MAX bytes of s; *cut set if longer. */
static char *bounded_dup(const char *s, int *cut)
{
	size_t n = strnlen(s, FACTS_TEXT_MAX + 1);
	if (n > FACTS_TEXT_MAX) {
		n = FACTS_TEXT_MAX;
		if (cut)
			*cut = 1;
	}
	char *p = strndup(s, n);
	if (p == NULL)
		log_panic("message_facts: out of memory");
	return p;
}

void facts_set(char **field, const char *value)
{
	free(*field);
	*field = value ? bounded_dup(value, NULL) : NULL;
}

void client_facts_init(client_facts_t *c)
{
	memset(c, 0, sizeof(*c));
	c->tls_bits = -1;
}

void client_facts_clear(client_facts_t *c)
{
	free(c->name);
	free(c->ptr);
	free(c->helo);
	free(c->tls_version);
	free(c->tls_cipher);
	client_facts_init(c);
}

void client_facts_set_tls(client_facts_t *c, const char *version, const char *cipher,
			  const char *bits)
{
	if (version != NULL && version[0])
		facts_set(&c->tls_version, version);
	if (cipher != NULL && cipher[0])
		facts_set(&c->tls_cipher, cipher);
	if (bits != NULL && bits[0]) {
		char *end;
		long b = strtol(bits, &end, 10);
		if (*end == '\0' && b >= 0 && b <= 65536)
			c->tls_bits = (int)b;
	}
}

void message_facts_init(message_facts_t *m)
{
	memset(m, 0, sizeof(*m));
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void message_facts_clear(message_facts_t *m)
{
	free(m->mail_from);
	free_list(m->rcpt, m->rcpt_count);
	free(m->from);
	free(m->message_id);
	free(m->date);
	free(m->auto_submitted);
	free(m->precedence);
	free(m->list_id);
	free(m->list_unsubscribe);
	free(m->list_unsubscribe_post);
	free_list(m->auth_results, m->auth_results_count);
	free_list(m->arc_names, m->arc_count);
	free_list(m->arc_values, m->arc_count);
	json_decref(m->reply_policy);
	json_decref(m->dnsbl);
	json_decref(m->helo_check);
	free_list(m->received, m->received_count);
	json_decref(m->spf);
	json_decref(m->dkim);
	message_limits_t keep = m->limits;
	message_facts_init(m);
	message_limits_set(&m->limits, keep.max_headers, keep.max_header_bytes,
			   keep.max_body_bytes);
}

void message_facts_set_mail_from(message_facts_t *m, const char *arg)
{
	free(m->mail_from);
	m->mail_from = address_strip(arg ? arg : "");
}

int message_facts_null_sender(const message_facts_t *m)
{
	return m->mail_from == NULL || m->mail_from[0] == '\0';
}

void message_facts_add_rcpt(message_facts_t *m, const char *addr)
{
	if (addr == NULL || m->rcpt_count >= FACTS_MAX_RCPT)
		return;
	if (m->rcpt == NULL) {
		m->rcpt = calloc(FACTS_MAX_RCPT, sizeof(*m->rcpt));
		if (m->rcpt == NULL)
			log_panic("message_facts: out of memory");
	}
	m->rcpt[m->rcpt_count++] = bounded_dup(addr, NULL);
}

/* unfold - RFC 5322 2.2.3: drop CR and LF; folds become single spaces. */
static char *unfold(const char *value, int *cut)
{
	char *s = bounded_dup(value, cut);
	size_t o = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		s[o++] = s[i] == '\t' ? ' ' : s[i];
	}
	s[o] = '\0';
	/* Leading white space (SMFIP_HDR_LEADSPC) is not part of the value. */
	size_t lead = strspn(s, " ");
	memmove(s, s + lead, o - lead + 1);
	return s;
}

/* first_word_is - the value's first word (before white space, ';' or a
 * comment) is one of words (NULL-terminated), case-insensitive. */
static int first_word_is(const char *v, const char *const *words)
{
	char w[32];
	size_t n = 0;
	while (*v == ' ' || *v == '\t')
		v++;
	while (v[n] && n + 1 < sizeof(w) && !isspace((unsigned char)v[n]) && v[n] != ';' && v[n] != '(') {
		w[n] = (char)tolower((unsigned char)v[n]);
		n++;
	}
	w[n] = '\0';
	for (size_t i = 0; words[i]; i++)
		if (strcmp(w, words[i]) == 0)
			return 1;
	return 0;
}

int facts_auto_submitted(const char *value)
{
	static const char *const no[] = { "no", NULL };
	/* RFC 3834 5: every value but "no" (a malformed one too) is automatic */
	return value != NULL && !first_word_is(value, no);
}

int facts_precedence_bulk(const char *value)
{
	static const char *const bulk[] = { "bulk", "list", "junk", NULL };
	return value != NULL && first_word_is(value, bulk);
}

/* keep - room for one more string in *list (allocated at max on first
 * use); 1 with *count raised, 0 when the list is full. */
static int keep(char ***list, size_t *count, size_t max)
{
	if (*count >= max)
		return 0;
	if (*list == NULL && (*list = calloc(max, sizeof(**list))) == NULL)
		log_panic("message_facts: out of memory");
	(*count)++;
	return 1;
}

void message_facts_header(message_facts_t *m, const char *name, const char *value)
{
	char **slot = NULL;
	if (name == NULL || value == NULL)
		return;
	if (strcasecmp(name, "Received") == 0) {
		if (m->received_count >= FACTS_MAX_RECEIVED) {
			m->received_truncated = 1;
			return;
		}
		if (m->received == NULL) {
			m->received = calloc(FACTS_MAX_RECEIVED, sizeof(*m->received));
			if (m->received == NULL)
				log_panic("message_facts: out of memory");
		}
		m->received[m->received_count++] = unfold(value, &m->received_truncated);
		return;
	}
	if (strcasecmp(name, "Authentication-Results") == 0) {
		if (!keep(&m->auth_results, &m->auth_results_count, FACTS_MAX_AUTH))
			m->auth_truncated = 1;
		else
			m->auth_results[m->auth_results_count - 1] = unfold(value, NULL);
		return;
	}
	if (strncasecmp(name, "ARC-", 4) == 0 && (strcasecmp(name + 4, "Seal") == 0 ||
	    strcasecmp(name + 4, "Message-Signature") == 0 ||
	    strcasecmp(name + 4, "Authentication-Results") == 0)) {
		size_t n = m->arc_count;
		if (!keep(&m->arc_names, &n, FACTS_MAX_ARC) ||
		    !keep(&m->arc_values, &m->arc_count, FACTS_MAX_ARC)) {
			m->auth_truncated = 1;
			return;
		}
		m->arc_names[m->arc_count - 1] = bounded_dup(name, NULL);
		m->arc_values[m->arc_count - 1] = unfold(value, NULL);
		return;
	}
	if (strcasecmp(name, "From") == 0) {
		slot = &m->from;
		m->from_count++;
	} else if (strcasecmp(name, "Message-ID") == 0) {
		slot = &m->message_id;
		m->message_id_count++;
	} else if (strcasecmp(name, "Date") == 0) {
		slot = &m->date;
		m->date_count++;
	} else if (strcasecmp(name, "List-Unsubscribe") == 0)
		slot = &m->list_unsubscribe;
	else if (strcasecmp(name, "List-Unsubscribe-Post") == 0)
		slot = &m->list_unsubscribe_post;
	else if (strcasecmp(name, "List-Id") == 0)
		slot = &m->list_id;
	else if (strcasecmp(name, "Auto-Submitted") == 0 || strcasecmp(name, "Precedence") == 0) {
		/* Any field that makes the mail automatic wins over an earlier
		 * one that does not: "Auto-Submitted: no" placed first must not
		 * hide a later "auto-replied" (loops and backscatter). */
		int autosub = strcasecmp(name, "Auto-Submitted") == 0;
		char **f = autosub ? &m->auto_submitted : &m->precedence;
		int (*is_auto)(const char *) = autosub ? facts_auto_submitted : facts_precedence_bulk;
		if (*f == NULL || (!is_auto(*f) && is_auto(value))) {
			free(*f);
			*f = unfold(value, NULL);
		}
		return;
	}
	if (slot != NULL && *slot == NULL)
		*slot = unfold(value, NULL);
}

int message_facts_list_mail(const message_facts_t *m, char *why, size_t len)
{
	char buf[100];
	if (why == NULL) {
		why = buf;
		len = sizeof(buf);
	}
	if (m->precedence && facts_precedence_bulk(m->precedence))
		snprintf(why, len, "Precedence: %.40s (list or bulk mail)", m->precedence);
	else if (m->list_id)
		snprintf(why, len, "%s", "List-Id present (mailing-list mail)");
	else if (m->list_unsubscribe)
		snprintf(why, len, "%s", "List-Unsubscribe present (list or bulk mail)");
	else
		return 0;
	return 1;
}

char *message_facts_domain(const message_facts_t *m)
{
	if (!message_facts_null_sender(m))
		return address_domain(m->mail_from);
	char why[256];
	return address_author_domain(m->from, why, sizeof(why));
}

/* header_basics - the "headers" object: From, Date, Message-ID and the
 * unsubscribe fields as a receiver's checks see them. */
static json_t *header_basics(const message_facts_t *m)
{
	json_t *h = json_object();
	json_object_set_new(h, "from_count", json_integer(m->from_count));
	if (m->from != NULL) {
		address_list_t l;
		address_list_parse(m->from, &l);
		json_object_set_new(h, "from_mailboxes", json_integer((json_int_t)l.count));
		record_set_text(h, "from_syntax", l.error[0] ? l.error : NULL);
		address_list_free(&l);
	} else {
		json_object_set_new(h, "from_mailboxes", json_null());
		json_object_set_new(h, "from_syntax", json_null());
	}
	json_object_set_new(h, "date_count", json_integer(m->date_count));
	json_object_set_new(h, "date_valid", m->date ? json_boolean(received_date(m->date) != -1)
						     : json_null());
	json_object_set_new(h, "message_id_count", json_integer(m->message_id_count));
	json_object_set_new(h, "bulk", json_boolean(message_facts_list_mail(m, NULL, 0)));
	record_set_text(h, "list_unsubscribe", m->list_unsubscribe);
	record_set_text(h, "list_unsubscribe_post", m->list_unsubscribe_post);
	/* RFC 8058: one-click needs the POST field and an https URI */
	int one_click = m->list_unsubscribe_post != NULL && m->list_unsubscribe != NULL &&
			strcasestr(m->list_unsubscribe_post, "List-Unsubscribe=One-Click") != NULL &&
			strcasestr(m->list_unsubscribe, "<https://") != NULL;
	json_object_set_new(h, "one_click_unsubscribe", json_boolean(one_click));
	return h;
}

json_t *message_facts_json(const client_facts_t *c, const message_facts_t *m,
			   const json_t *queued)
{
	json_t *o = json_object();
	json_object_set_new(o, "queued", queued ? json_deep_copy(queued) : record_now());

	json_t *cl = json_object();
	record_set_text(cl, "ip", c->ip[0] ? c->ip : NULL);
	netaddr_t ca;
	json_object_set_new(cl, "family", c->ip[0] && netaddr_parse(c->ip, &ca) == 0 ?
			    json_string(ca.family == AF_INET6 ? "ipv6" : "ipv4") : json_null());
	record_set_text(cl, "name", c->name);
	record_set_text(cl, "ptr", c->ptr);
	record_set_text(cl, "helo", c->helo);
	if (m->helo_check)
		json_object_set_new(cl, "check", json_deep_copy(m->helo_check));
	json_object_set_new(o, "client", cl);

	if (c->tls_version != NULL) {
		json_t *tls = json_object();
		record_set_text(tls, "version", c->tls_version);
		record_set_text(tls, "cipher", c->tls_cipher);
		json_object_set_new(tls, "bits",
				    c->tls_bits >= 0 ? json_integer(c->tls_bits) : json_null());
		json_object_set_new(o, "tls", tls);
	} else {
		json_object_set_new(o, "tls", json_null());
	}

	record_set_text(o, "mail_from", m->mail_from ? m->mail_from : "");
	json_t *rc = json_array();
	for (size_t i = 0; i < m->rcpt_count; i++)
		json_array_append_new(rc, record_text(m->rcpt[i], strlen(m->rcpt[i])));
	json_object_set_new(o, "rcpt", rc);
	record_set_text(o, "from", m->from);
	record_set_text(o, "message_id", m->message_id);
	record_set_text(o, "date", m->date);
	json_object_set_new(o, "spf", m->spf ? json_deep_copy(m->spf) : json_null());
	json_object_set_new(o, "dkim", m->dkim ? json_deep_copy(m->dkim) : json_array());

	/* Every field parsed into a hop; "raw" kept whether it parses or not. */
	json_object_set_new(o, "received", received_path(m->received, m->received_count));
	json_object_set_new(o, "received_truncated", json_boolean(m->received_truncated));
	if (m->reply_policy)
		json_object_set_new(o, "reply_policy", json_deep_copy(m->reply_policy));
	json_object_set_new(o, "dnsbl", m->dnsbl ? json_deep_copy(m->dnsbl) : json_array());
	json_object_set_new(o, "headers", header_basics(m));
	json_t *ar = json_array(), *arc = json_array();
	for (size_t i = 0; i < m->auth_results_count; i++)
		json_array_append_new(ar, auth_results_parse(m->auth_results[i]));
	for (size_t i = 0; i < m->arc_count; i++)
		json_array_append_new(arc, arc_parse(m->arc_names[i], m->arc_values[i]));
	json_object_set_new(o, "authentication_results", ar);
	json_object_set_new(o, "arc", arc);
	json_object_set_new(o, "authentication_truncated", json_boolean(m->auth_truncated));
	json_object_set_new(o, "limits", message_limits_json(&m->limits));
	return o;
}

json_t *message_job_new(const client_facts_t *c, const message_facts_t *m, char *err,
			size_t errlen)
{
	/* No reply and no probe for the null sender and for mail that says
	 * it is automatic, list mail or mxray's own (reply_policy.h): the
	 * sender did not ask, and probing for it would make mxray a tool. */
	if (message_facts_null_sender(m)) {
		snprintf(err, errlen, "%s", "null sender (bounces are never answered or probed)");
		return NULL;
	}
	if (m->reply_policy && json_is_false(json_object_get(m->reply_policy, "probe"))) {
		snprintf(err, errlen, "%.200s", json_string_value(json_object_get(m->reply_policy, "reason")) ?: "no probe");
		return NULL;
	}
	char *domain = message_facts_domain(m);
	if (domain == NULL) {
		snprintf(err, errlen, "%s", "the envelope sender has no usable domain");
		return NULL;
	}
	json_t *job = json_object();
	json_t *queued = record_now();
	json_object_set_new(job, "format", json_integer(JOB_FORMAT));
	json_object_set_new(job, "kind", json_string("mail"));
	json_object_set(job, "queued", queued);
	record_set_text(job, "domain", domain);
	int no_reply = m->reply_policy && !json_is_true(json_object_get(m->reply_policy, "reply"));
	record_set_text(job, "reply_to", no_reply ? NULL : m->mail_from);
	if (m->reply_policy)
		json_object_set_new(job, "reply_policy", json_deep_copy(m->reply_policy));
	json_object_set_new(job, "message", message_facts_json(c, m, queued));
	json_decref(queued);
	free(domain);
	return job;
}
