/*
 * spf_check.c - SPF with libspf2 over mxray's resolver (see spf_check.h).
 *
 * libspf2 asks its DNS layer (an SPF_dns_server_t) for TXT, A, AAAA, MX
 * and PTR records as SPF_dns_rr_t sets. Ours is made per check: its hook
 * points at this check's state, so no state is shared between the
 * milter's threads. It converts dns_answer_t rdata (uncompressed, as
 * libunbound hands it) into SPF_dns_rr_t, and maps outcomes to the
 * h_errno values libspf2 understands:
 *   NXDOMAIN -> HOST_NOT_FOUND, NODATA -> NO_DATA,
 *   SERVFAIL, BOGUS, resolver failure -> TRY_AGAIN (temperror).
 * Type SPF (99) is never asked (RFC 7208 3.1 retired it): NO_DATA at once,
 * which saves libspf2's extra query per domain.
 * The RFC 7208 4.6.4 limits are counted here, by the questions libspf2
 * asks: each TXT (include, redirect) but the domain's own and exp=
 * targets, each MX and PTR, each A/AAAA that is not the address of an MX
 * or PTR host (a, exists); a counted question with NXDOMAIN or an empty
 * answer is a void lookup. Over 10 terms or 2 void lookups: permerror.
 * Trusts nothing in the records; remote text enters JSON via record_text.
 * libspf2's CVE-2023-42118 is not guarded against here: code that faces
 * hostile records runs this through spf_sandbox.h (a child per check).
 */
#include <arpa/nameser.h>
#include <ctype.h>
#include <stdio.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include "analysis/address.h"
#include "analysis/spf_check.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"

#define SPF_NAME_MAX 1025
#define SPF_LOOKUP_LIMIT 10	/* RFC 7208 4.6.4: DNS-querying terms */
#define SPF_VOID_LIMIT 2	/* RFC 7208 4.6.4: void lookups */
#define SPF_HOSTS_MAX 64	/* MX/PTR targets and exp= names remembered */
/* The server-wide explanation libspf2 uses when a domain has no exp=;
 * replaced by our own sentence (libspf2 turns spaces into '%'). */
#define MXRAY_SPF_NO_EXP "mxray-no-exp"

/* What one check remembers while libspf2 runs. */
typedef struct spf_state {
	const analysis_dns_t *dns;
	const char *domain;		/* the domain whose policy is checked */
	char *record;			/* its v=spf1 TXT, as seen */
	int records;			/* v=spf1 TXTs of that domain */
	int queries;			/* every query made, for the debug log */
	int lookups;			/* DNS-querying terms (RFC 7208 4.6.4) */
	int void_lookups;		/* of those: NXDOMAIN or no answer */
	int top_fetched;		/* the domain's own TXT was asked */
	/* Names whose A/AAAA/TXT query belongs to a term already counted:
	 * the hosts of an MX answer, PTR names, literal exp= targets. */
	char *hosts[SPF_HOSTS_MAX];
	int nhosts;
} spf_state_t;

/* spf_host_add - remember a name that is not a term of its own. */
static void spf_host_add(spf_state_t *st, const char *name)
{
	if (st->nhosts < SPF_HOSTS_MAX)
		st->hosts[st->nhosts++] = strdup(name);
}

static int spf_host_known(const spf_state_t *st, const char *name)
{
	for (int i = 0; i < st->nhosts; i++)
		if (st->hosts[i] && strcasecmp(st->hosts[i], name) == 0)
			return 1;
	return 0;
}

/* spf_note_exp - a literal exp=NAME of a fetched record is fetched after
 * evaluation and is no DNS-querying term (RFC 7208 6.2). */
static void spf_note_exp(spf_state_t *st, const char *txt)
{
	for (const char *p = txt; (p = strcasestr(p, " exp=")) != NULL; p += 5) {
		char name[SPF_NAME_MAX];
		size_t n = strcspn(p + 5, " ");
		if (n == 0 || n >= sizeof(name) || memchr(p + 5, '%', n))
			continue;
		memcpy(name, p + 5, n);
		name[n] = '\0';
		spf_host_add(st, name);
	}
}

/* spf_count - count one query against the RFC 7208 4.6.4 limits:
 * TXT (include, redirect) except the domain's own and exp= targets, MX,
 * PTR, and A/AAAA (a, exists) except the hosts of an MX or PTR answer. */
static int spf_count(spf_state_t *st, const char *domain, ns_type type)
{
	if (type == ns_t_txt && !st->top_fetched && strcasecmp(domain, st->domain) == 0) {
		st->top_fetched = 1;
		return 0;
	}
	if (spf_host_known(st, domain) && type != ns_t_mx)
		return 0;
	st->lookups++;
	return 1;
}

static void spf_log_warning(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	char *p = text_printable(msg, strlen(msg), 512);
	log_debug("libspf2: %s", p);
	free(p);
}

static void __attribute__((noreturn)) spf_log_error(const char *file, int line, const char *msg)
{
	log_panic("libspf2 internal error at %s:%d: %s", file, line, msg);
}

void spf_check_init(void)
{
	SPF_error_handler = spf_log_error;
	SPF_warning_handler = spf_log_warning;
	SPF_info_handler = NULL;
	SPF_debug_handler = NULL;
}

/* is_spf_record - "v=spf1" followed by a space or the end (RFC 7208 4.5). */
static int is_spf_record(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == '\0' || txt[6] == ' ');
}

/* spf_rr_add_txt - the character-strings of one TXT rdata, joined. */
static int spf_rr_add_txt(SPF_dns_rr_t *rr, int idx, const unsigned char *d, size_t len)
{
	if (SPF_dns_rr_buf_realloc(rr, idx, len + 1) != SPF_E_SUCCESS)
		return -1;
	char *out = rr->rr[idx]->txt;
	size_t o = 0, i = 0;
	while (i < len) {
		size_t n = d[i++];
		if (n > len - i)
			return -1;	/* malformed rdata: drop the record */
		memcpy(out + o, d + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return 0;
}

/* spf_rr_add_name - a name (PTR rdata, or MX rdata after the preference). */
static int spf_rr_add_name(SPF_dns_rr_t *rr, int idx, const unsigned char *d, size_t len)
{
	char name[SPF_NAME_MAX];
	if (dns_name_from_wire(d, len, name, sizeof(name)) < 0)
		return -1;
	if (SPF_dns_rr_buf_realloc(rr, idx, strlen(name) + 1) != SPF_E_SUCCESS)
		return -1;
	strcpy(rr->rr[idx]->ptr, name);
	return 0;
}

/* spf_dns_lookup - libspf2's DNS layer: one question, one SPF_dns_rr_t. */
static SPF_dns_rr_t *spf_dns_lookup(SPF_dns_server_t *server, const char *domain, ns_type type,
				    int should_cache)
{
	spf_state_t *st = server->hook;
	dns_answer_t *a = NULL;
	char err[256];
	(void)should_cache;

	if (type == ns_t_spf)
		return SPF_dns_rr_new_init(server, domain, type, 0, NO_DATA);
	st->queries++;
	int counted = spf_count(st, domain, type);
	if (st->dns->query(st->dns->arg, domain, type, &a, err, sizeof(err)) != 0) {
		log_debug("spf: %s", err);
		return SPF_dns_rr_new_init(server, domain, type, 0, TRY_AGAIN);
	}
	int herrno;
	if (a->dnssec == DNSSEC_BOGUS)
		herrno = TRY_AGAIN;	/* bogus data is no data, and not "none" */
	else if (a->outcome == DNS_NXDOMAIN)
		herrno = HOST_NOT_FOUND;
	else if (a->outcome == DNS_NODATA)
		herrno = NO_DATA;
	else if (a->outcome == DNS_OK)
		herrno = NETDB_SUCCESS;
	else
		herrno = TRY_AGAIN;
	if (counted && (herrno == HOST_NOT_FOUND || herrno == NO_DATA ||
			(herrno == NETDB_SUCCESS && a->count == 0)))
		st->void_lookups++;
	SPF_dns_rr_t *rr = SPF_dns_rr_new_init(server, domain, type, 0, herrno);
	if (rr == NULL || herrno != NETDB_SUCCESS) {
		dns_answer_free(a);
		return rr;
	}
	int cnt = 0;
	for (size_t i = 0; i < a->count; i++) {
		const unsigned char *d = a->rdata[i].data;
		size_t len = a->rdata[i].len;
		int rc = -1;
		switch (type) {
		case ns_t_a:
			if (len == 4 && SPF_dns_rr_buf_realloc(rr, cnt, sizeof(struct in_addr)) == SPF_E_SUCCESS) {
				memcpy(&rr->rr[cnt]->a, d, 4);
				rc = 0;
			}
			break;
		case ns_t_aaaa:
			if (len == 16 && SPF_dns_rr_buf_realloc(rr, cnt, sizeof(struct in6_addr)) == SPF_E_SUCCESS) {
				memcpy(&rr->rr[cnt]->aaaa, d, 16);
				rc = 0;
			}
			break;
		case ns_t_mx:
			if (len > 2)
				rc = spf_rr_add_name(rr, cnt, d + 2, len - 2);
			if (rc == 0)
				spf_host_add(st, rr->rr[cnt]->mx);
			break;
		case ns_t_ptr:
			rc = spf_rr_add_name(rr, cnt, d, len);
			if (rc == 0)
				spf_host_add(st, rr->rr[cnt]->ptr);
			break;
		case ns_t_txt:
			rc = spf_rr_add_txt(rr, cnt, d, len);
			if (rc != 0 || !is_spf_record(rr->rr[cnt]->txt))
				break;
			spf_note_exp(st, rr->rr[cnt]->txt);
			if (!counted && strcasecmp(domain, st->domain) == 0) {
				st->records++;
				if (st->record == NULL)
					st->record = strdup(rr->rr[cnt]->txt);
			}
			break;
		default:
			break;
		}
		if (rc == 0)
			cnt++;
	}
	rr->num_rr = cnt;
	if (cnt == 0)
		rr->herrno = NO_DATA;
	dns_answer_free(a);
	return rr;
}

const char *spf_check_result_name(int result, int errcode)
{
	switch (result) {
	case SPF_RESULT_PASS: return "pass";
	case SPF_RESULT_FAIL: return "fail";
	case SPF_RESULT_SOFTFAIL: return "softfail";
	case SPF_RESULT_NEUTRAL: return "neutral";
	case SPF_RESULT_TEMPERROR: return "temperror";
	case SPF_RESULT_PERMERROR: return "permerror";
	default: break;
	}
	/* NONE, or INVALID ("should never happen"): libspf2 leaves NONE when
	 * a record fails to compile, which RFC 7208 4.6 calls a permerror. */
	switch (errcode) {
	case SPF_E_SUCCESS:
		return result == SPF_RESULT_NONE ? "none" : "temperror";
	case SPF_E_NOT_SPF:
		return "none";
	case SPF_E_NO_MEMORY:
	case SPF_E_INTERNAL_ERROR:
	case SPF_E_DNS_ERROR:
	case SPF_E_NOT_CONFIG:
		return "temperror";	/* we could not evaluate: never a pass */
	default:
		return "permerror";	/* the policy itself is broken */
	}
}

/* spf_term_matches - whether one mechanism of the record, alone, matches
 * the request: libspf2 evaluates "v=spf1 +MECH ?all" with the request of
 * the real check (its DNS answered from the resolver's cache). */
static int spf_term_matches(SPF_server_t *srv, SPF_request_t *req, const char *domain,
			    const char *mech)
{
	char text[600];
	if (snprintf(text, sizeof(text), "v=spf1 +%s ?all", mech) >= (int)sizeof(text))
		return 0;
	SPF_response_t *resp = SPF_response_new(req);
	SPF_record_t *rec = NULL;
	int match = 0;
	if (resp && SPF_record_compile(srv, resp, &rec, text) == SPF_E_SUCCESS && rec) {
		/* the real check left cur_dom at whatever it evaluated last */
		req->cur_dom = domain;
		resp->spf_record_exp = rec;	/* as SPF_request_query_record sets it */
		SPF_record_interpret(rec, req, resp, 0);
		match = SPF_response_result(resp) == SPF_RESULT_PASS;
	}
	SPF_record_free(rec);
	SPF_response_free(resp);
	return match;
}

/* spf_matched_term - the term of the domain's own record that decided a
 * result libspf2 reached by a mechanism (RFC 7208 4.6.2: the first that
 * matches), asked term by term; the redirect= when none did. NULL when it
 * cannot be told. The counts of the real check are kept as they were. */
static char *spf_matched_term(SPF_server_t *srv, SPF_request_t *req, spf_state_t *st,
			      const char *domain)
{
	if (st->record == NULL)
		return NULL;
	spf_state_t saved = *st;
	char *copy = strdup(st->record), *save = NULL, *found = NULL, *redirect = NULL;
	int probes = 0;
	for (char *t = copy ? strtok_r(copy, " \t", &save) : NULL; t && !found;
	     t = strtok_r(NULL, " \t", &save)) {
		if (strncasecmp(t, "v=spf1", 6) == 0)
			continue;
		const char *eq = strchr(t, '='), *colon = strchr(t, ':');
		if (eq && (colon == NULL || eq < colon)) {	/* a modifier */
			if (strncasecmp(t, "redirect=", 9) == 0 && redirect == NULL)
				redirect = t;
			continue;
		}
		const char *mech = strchr("+-~?", t[0]) ? t + 1 : t;
		if (strcasecmp(mech, "all") == 0 ||
		    (++probes <= SPF_LOOKUP_LIMIT * 2 && spf_term_matches(srv, req, domain, mech)))
			found = strdup(t);
	}
	if (found == NULL && redirect != NULL)
		found = strdup(redirect);
	free(copy);
	/* what the probes looked up is not the check's */
	for (int i = saved.nhosts; i < st->nhosts; i++)
		free(st->hosts[i]);
	if (st->record != saved.record)
		free(st->record);
	*st = saved;
	return found;
}

/* spf_result - the object, with a fixed explanation for early exits. */
static json_t *spf_result(const char *domain, const char *result, const char *explanation,
			  const char *record)
{
	json_t *o = json_object();
	record_set_text(o, "domain", domain);
	json_object_set_new(o, "result", result ? json_string(result) : json_null());
	record_set_text(o, "explanation", explanation);
	record_set_text(o, "record", record);
	return o;
}

/* spf_add_details - the counts, and the findings only mxray can tell
 * (limits, several records). */
static void spf_add_details(json_t *o, const spf_state_t *st)
{
	const char *dom = json_string_value(json_object_get(o, "domain"));
	json_object_set_new(o, "lookups", json_integer(st->lookups));
	json_object_set_new(o, "lookup_limit", json_integer(SPF_LOOKUP_LIMIT));
	json_object_set_new(o, "void_lookups", json_integer(st->void_lookups));
	json_object_set_new(o, "records", json_integer(st->records));
	if (st->records > 1)
		finding_add(o, "spf.multiple_records", dom, "%d v=spf1 records", st->records);
	if (st->void_lookups > SPF_VOID_LIMIT)
		finding_add(o, "spf.void_lookups", dom, "%d void lookups", st->void_lookups);
	if (st->lookups > SPF_LOOKUP_LIMIT)
		finding_add(o, "spf.too_many_lookups", dom, "%d DNS-querying terms", st->lookups);
	else if (st->lookups >= SPF_LOOKUP_LIMIT - 2)
		finding_add(o, "spf.lookups_near_limit", dom, "%d of %d DNS-querying terms",
			    st->lookups, SPF_LOOKUP_LIMIT);
}

/* is_loopback - 127.0.0.0/8, ::1 and their IPv4-mapped forms: what
 * libspf2's SPF_request_is_loopback passes unconditionally. */
static int is_loopback(const netaddr_t *a)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char one[16] = { [15] = 1 };
	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	return memcmp(a->bytes, one, 16) == 0 ||
	       (memcmp(a->bytes, mapped, 12) == 0 && a->bytes[12] == 127);
}

json_t *spf_check_run(const analysis_dns_t *dns, const char *client_ip, const char *helo,
		      const char *mail_from)
{
	int null_sender = mail_from == NULL || mail_from[0] == '\0';
	char *domain = null_sender ? (helo && helo[0] ? text_lower(strdup(helo)) : NULL)
				   : address_domain(mail_from);
	netaddr_t ip;

	if (domain == NULL)
		return spf_result(NULL, "none",
				  null_sender ? "null sender and no HELO name to check"
					      : "the sender address has no domain", NULL);
	if (client_ip == NULL || netaddr_parse(client_ip, &ip) != 0) {
		json_t *o = spf_result(domain, "none", "client address unknown", NULL);
		free(domain);
		return o;
	}
	if (is_loopback(&ip)) {
		/* libspf2 passes these before reading any record (its
		 * "localhost is always allowed"); that pass says nothing about
		 * the domain, so there is no verdict at all. */
		char why[300];
		snprintf(why, sizeof(why), "not evaluated: the client %s is a loopback address, which "
			 "libspf2 always passes; SPF can only judge the address that delivered the mail "
			 "from outside", client_ip);
		json_t *o = spf_result(domain, NULL, why, NULL);
		json_object_set_new(o, "evaluated", json_false());
		free(domain);
		return o;
	}

	spf_state_t st = { .dns = dns, .domain = domain };
	SPF_dns_server_t layer;
	memset(&layer, 0, sizeof(layer));
	layer.lookup = spf_dns_lookup;
	layer.name = "mxray";
	layer.hook = &st;
	/* destroy == NULL: libspf2 never frees our stack layer. */

	json_t *out = NULL;
	SPF_server_t *srv = SPF_server_new_dns(&layer, 0);
	/* libspf2's default explanation points at the defunct openspf.org. */
	SPF_response_t *exp_resp = NULL;
	if (srv)
		(void)SPF_server_set_explanation(srv, MXRAY_SPF_NO_EXP, &exp_resp);
	if (exp_resp)
		SPF_response_free(exp_resp);
	SPF_request_t *req = srv ? SPF_request_new(srv) : NULL;
	SPF_response_t *resp = NULL;
	if (req == NULL) {
		out = spf_result(domain, "temperror", "libspf2: out of memory", NULL);
		goto done;
	}
	SPF_errcode_t e = ip.family == AF_INET ? SPF_request_set_ipv4_str(req, client_ip)
					       : SPF_request_set_ipv6_str(req, client_ip);
	if (e == SPF_E_SUCCESS && helo != NULL && helo[0])
		e = SPF_request_set_helo_dom(req, helo);
	if (e == SPF_E_SUCCESS)
		e = SPF_request_set_env_from(req, null_sender ? "" : mail_from);
	if (e != SPF_E_SUCCESS) {
		out = spf_result(domain, "permerror", SPF_strerror(e), NULL);
		goto done;
	}
	e = SPF_request_query_mailfrom(req, &resp);
	SPF_result_t r = resp ? SPF_response_result(resp) : SPF_RESULT_INVALID;
	if (e == SPF_E_SUCCESS && resp)
		e = SPF_response_errcode(resp);
	/* A record that does not compile leaves NONE with SPF_E_NOT_SPF on
	 * top; the compile error below it is what decides (permerror). */
	if (resp && (r == SPF_RESULT_NONE || r == SPF_RESULT_INVALID)) {
		for (int i = 0; i < SPF_response_messages(resp); i++) {
			SPF_error_t *m = SPF_response_message(resp, i);
			if (m && SPF_error_errorp(m) && SPF_error_code(m) != SPF_E_NOT_SPF) {
				e = SPF_error_code(m);
				break;
			}
		}
	}
	const char *result = spf_check_result_name(r, e);

	/* The explanation: the domain's own (exp=) on fail, else libspf2's
	 * first error message, else its comment on the result. */
	const char *expl = resp ? SPF_response_get_explanation(resp) : NULL;
	char own[400];
	if (expl != NULL && strcmp(expl, MXRAY_SPF_NO_EXP) == 0) {
		snprintf(own, sizeof(own), "%s is not authorised by the SPF record of %s", client_ip,
			 domain);
		expl = own;
	}
	if ((expl == NULL || !expl[0]) && resp && SPF_response_messages(resp) > 0) {
		SPF_error_t *m = SPF_response_message(resp, 0);
		expl = m ? SPF_error_message(m) : NULL;
	}
	if ((expl == NULL || !expl[0]) && resp)
		expl = SPF_response_get_header_comment(resp);
	if (expl == NULL || !expl[0])
		expl = SPF_strerror(e);
	/* libspf2 does not enforce the void-lookup limit at all; evaluation
	 * stops at the first match, so every void lookup counted happened
	 * before the verdict and exceeding the limit makes it a permerror. */
	char why[160];
	if (st.void_lookups > SPF_VOID_LIMIT) {
		result = "permerror";
		snprintf(why, sizeof(why), "%d void DNS lookups, more than the %d RFC 7208 4.6.4 allows",
			 st.void_lookups, SPF_VOID_LIMIT);
		expl = why;
	} else if (st.lookups > SPF_LOOKUP_LIMIT) {
		result = "permerror";
		snprintf(why, sizeof(why), "%d DNS-querying terms, more than the %d RFC 7208 4.6.4 allows",
			 st.lookups, SPF_LOOKUP_LIMIT);
		expl = why;
	}
	out = spf_result(domain, result, expl, st.record);
	spf_add_details(out, &st);
	if (resp && SPF_response_reason(resp) == SPF_REASON_MECH &&
	    strcmp(result, "permerror") != 0 && strcmp(result, "temperror") != 0) {
		char *term = spf_matched_term(srv, req, &st, domain);
		record_set_text(out, "mechanism", term);
		free(term);
	} else if (resp && SPF_response_reason(resp) == SPF_REASON_DEFAULT) {
		json_object_set_new(out, "mechanism", json_null());	/* none matched: neutral */
	}
	/* RFC 7208 2.3: the HELO identity is checked on its own, for information */
	if (!null_sender && helo != NULL && strchr(helo, '.') != NULL && helo[0] != '[') {
		json_t *h = spf_check_run(dns, client_ip, helo, NULL);
		json_object_del(h, "findings");		/* the sender's verdict is the one graded */
		json_object_set_new(out, "helo", h);
	}
	log_debug("spf: %s for %s: %s after %d queries", domain, client_ip, result, st.queries);
done:
	if (resp)
		SPF_response_free(resp);
	if (req)
		SPF_request_free(req);
	if (srv)
		SPF_server_free(srv);
	free(st.record);
	for (int i = 0; i < st.nhosts; i++)
		free(st.hosts[i]);
	free(domain);
	return out;
}
