/*
 * smtp_probe.c - one address's SMTP/STARTTLS dialogue and its verdict
 * (see smtp_probe.h). All talking goes through smtp_client.
 *
 * Trusts nothing the server says: EHLO keywords, the greeting and every
 * transcript line come from smtp_reply (printable by construction) and
 * enter the report through record_text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "mail/record.h"
#include "probe/smtp_client.h"
#include "probe/smtp_probe.h"
#include "probe/tls_probe.h"

/* address_object - every key of an address, with nothing measured yet. */
static json_t *address_object(const netaddr_t *addr)
{
	char ip[NETADDR_STRLEN];
	json_t *o = json_object();

	netaddr_format(addr, ip, sizeof(ip));
	json_object_set_new(o, "ip", json_string(ip));
	json_object_set_new(o, "family", json_string(addr->family == AF_INET6 ? "ipv6" : "ipv4"));
	json_object_set_new(o, "state", json_string("not_tested"));
	json_object_set_new(o, "reason", json_null());
	json_object_set_new(o, "connect_ms", json_null());
	json_object_set_new(o, "greeting_ms", json_null());
	json_object_set_new(o, "greeting", json_null());
	json_object_set_new(o, "ehlo", json_null());
	json_object_set_new(o, "helo_fallback", json_false());
	json_object_set_new(o, "ehlo_after_tls", json_null());
	json_object_set_new(o, "starttls", json_null());
	json_object_set_new(o, "tls", json_null());
	json_object_set_new(o, "transcript", json_array());
	return o;
}

static void set_state(json_t *o, const char *state, const char *reason)
{
	json_object_set_new(o, "state", json_string(state));
	record_set_text(o, "reason", reason);
}

json_t *smtp_probe_not_tested(const netaddr_t *addr, const char *reason)
{
	json_t *o = address_object(addr);
	set_state(o, "not_tested", reason);
	return o;
}

/* ehlo_keywords - the extension lines of an EHLO reply (all but the first). */
static json_t *ehlo_keywords(const smtp_reply_t *r, int *starttls)
{
	json_t *arr = json_array();

	*starttls = 0;
	for (size_t i = 1; i < r->count; i++) {
		const char *t = smtp_reply_text(r, i);
		json_array_append_new(arr, record_text(t, strlen(t)));
		if (strcasecmp(t, "STARTTLS") == 0)
			*starttls = 1;
	}
	return arr;
}

/* reply_text - a whole reply for the report: each line made printable
 * (as record_text does), lines joined by '\n', bounded by RECORD_TEXT_MAX. */
static json_t *reply_text(const smtp_reply_t *r)
{
	strbuf_t sb = STRBUF_INIT;

	strbuf_init(&sb);
	for (size_t i = 0; i < r->count && sb.len < RECORD_TEXT_MAX; i++) {
		char *p = text_printable(r->lines[i], strlen(r->lines[i]), RECORD_TEXT_MAX);
		if (i)
			strbuf_puts(&sb, "\n");
		strbuf_puts(&sb, p);
		free(p);
	}
	if (sb.len > RECORD_TEXT_MAX) {
		sb.data[RECORD_TEXT_MAX - 3] = '\0';
		sb.len = RECORD_TEXT_MAX - 3;
		strbuf_puts(&sb, "...");
	}
	json_t *j = json_string(sb.data ? sb.data : "");
	strbuf_free(&sb);
	return j;
}

/* first_line - the reply's first line, for reasons. */
static const char *first_line(const smtp_reply_t *r)
{
	return r->count ? r->lines[0] : "";
}

json_t *smtp_probe_address(const mxray_config_t *cfg, SSL_CTX *tls, const char *host,
			   const netaddr_t *addr, long long job_deadline)
{
	json_t *o = address_object(addr);
	char err[768], reason[1024], ip[NETADDR_STRLEN];
	smtp_fail_t fail;
	smtp_reply_t reply;
	int starttls_offered = 0;

	netaddr_format(addr, ip, sizeof(ip));
	smtp_reply_init(&reply);
	smtp_client_opts_t opts = smtp_client_opts_for(cfg, host, addr, job_deadline);
	smtp_client_t *c = smtp_client_open(&opts, &fail, err, sizeof(err));
	if (c == NULL) {
		/* The guard's refusal is ours, not the server's: not tested. */
		set_state(o, fail == SMTP_FAIL_REFUSED ? "not_tested" : "failed", err);
		return o;
	}
	json_object_set_new(o, "connect_ms", json_integer(smtp_client_connect_ms(c)));

	long long t0 = clock_ms();
	if (smtp_client_greeting(c, &reply, err, sizeof(err)) != 0) {
		fail = smtp_client_failure(c);
		/* A silent, slow or vanishing server is not testable (hard rule 2);
		 * a malformed greeting is itself a finding. */
		set_state(o, fail == SMTP_FAIL_PROTOCOL ? "failed" : "not_tested", err);
		goto done;
	}
	json_object_set_new(o, "greeting_ms", json_integer(clock_ms() - t0));
	json_object_set_new(o, "greeting", reply_text(&reply));
	if (reply.code / 100 != 2) {
		snprintf(reason, sizeof(reason), "the server refused the session in its greeting: %s",
			 first_line(&reply));
		set_state(o, "not_tested", reason);
		if (reply.code / 100 == 5)
			goto quit;	/* RFC 5321 3.1: wait for QUIT after a 554 */
		goto done;		/* 421: the server closes the channel */
	}

	if (smtp_client_ehlo(c, &reply, err, sizeof(err)) != 0)
		goto aborted;
	if (reply.code / 100 == 5) {
		json_object_set_new(o, "helo_fallback", json_true());
		if (smtp_client_helo(c, &reply, err, sizeof(err)) != 0)
			goto aborted;
		if (reply.code / 100 != 2) {
			snprintf(reason, sizeof(reason), "the server refused both EHLO and HELO: %s",
				 first_line(&reply));
			set_state(o, "not_tested", reason);
			goto quit;
		}
		json_object_set_new(o, "ehlo", json_array());
	} else if (reply.code / 100 != 2) {
		snprintf(reason, sizeof(reason), "the server refused EHLO: %s", first_line(&reply));
		set_state(o, "not_tested", reason);
		goto quit;
	} else {
		json_object_set_new(o, "ehlo", ehlo_keywords(&reply, &starttls_offered));
	}

	if (!starttls_offered || tls == NULL) {
		json_object_set_new(o, "starttls", json_string("not_offered"));
		set_state(o, "tested", NULL);
		goto quit;
	}
	SSL *ssl = tls_probe_ssl_new(tls, host, err, sizeof(err));
	if (ssl == NULL) {
		log_error("%s[%s]: %s", host, ip, err);
		set_state(o, "not_tested", "mxray could not set up a TLS session (see its log)");
		goto quit;
	}
	int rc = smtp_client_starttls(c, ssl, &reply, err, sizeof(err));
	if (rc == 1) {
		json_object_set_new(o, "starttls", json_string("refused"));
		snprintf(reason, sizeof(reason), "STARTTLS was offered but refused: %s",
			 first_line(&reply));
		set_state(o, "tested", reason);
		goto quit;
	}
	if (rc < 0) {
		fail = smtp_client_failure(c);
		if (reply.complete && reply.code == 220) {
			/* The server said go ahead; the handshake then broke. */
			json_object_set_new(o, "starttls", json_string("failed"));
			snprintf(reason, sizeof(reason), "STARTTLS failed: %s", err);
			set_state(o, fail == SMTP_FAIL_TIMEOUT ? "not_tested" : "failed", reason);
		} else {
			goto aborted;
		}
		goto done;
	}
	json_object_set_new(o, "starttls", json_string("ok"));
	json_object_set_new(o, "tls", tls_probe_describe(smtp_client_ssl(c), host));
	set_state(o, "tested", NULL);
	if (smtp_client_ehlo(c, &reply, err, sizeof(err)) != 0) {
		snprintf(reason, sizeof(reason), "EHLO after STARTTLS: %s", err);
		record_set_text(o, "reason", reason);
		goto done;
	}
	if (reply.code / 100 == 2)
		json_object_set_new(o, "ehlo_after_tls", ehlo_keywords(&reply, &starttls_offered));
	else {
		snprintf(reason, sizeof(reason), "EHLO after STARTTLS refused: %s", first_line(&reply));
		record_set_text(o, "reason", reason);
	}
	goto quit;

aborted:
	/* A timeout, a dropped line or a malformed reply after the greeting. */
	fail = smtp_client_failure(c);
	set_state(o, fail == SMTP_FAIL_PROTOCOL ? "failed" : "not_tested", err);
	goto done;
quit:
	smtp_client_quit(c);
done:
	json_object_set(o, "transcript", smtp_client_transcript(c));
	log_debug("%s[%s]: %s in state %s", host, ip,
		  json_string_value(json_object_get(o, "state")),
		  smtp_state_name(smtp_client_state(c)));
	smtp_client_close(c);
	smtp_reply_clear(&reply);
	return o;
}
