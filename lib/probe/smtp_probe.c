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
#include <openssl/err.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "mail/record.h"
#include "probe/ehlo.h"
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
	json_object_set_new(o, "mxray_limit", json_null());
	json_object_set_new(o, "connect_ms", json_null());
	json_object_set_new(o, "greeting_ms", json_null());
	json_object_set_new(o, "greeting", json_null());
	json_object_set_new(o, "ehlo", json_null());
	json_object_set_new(o, "helo_fallback", json_false());
	json_object_set_new(o, "ehlo_after_tls", json_null());
	json_object_set_new(o, "extensions", json_null());
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

json_t *smtp_probe_limited(const netaddr_t *addr, const char *limit, const char *reason)
{
	json_t *o = smtp_probe_not_tested(addr, reason);
	json_object_set_new(o, "mxray_limit", json_string(limit));
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

/* A key type a server may hold a certificate of, and how to ask for it:
 * the TLS 1.2 suites that authenticate with it and the signature
 * algorithms (which pick the certificate in TLS 1.3 and in OpenSSL's TLS
 * 1.2 server). */
typedef struct key_type_ask {
	const char *name;
	const char *suites;
	const char *sigalgs;
} key_type_ask_t;

static const key_type_ask_t key_types[] = {
	{ "RSA", "aRSA:@SECLEVEL=0",
	  "RSA-PSS+SHA256:RSA-PSS+SHA384:RSA-PSS+SHA512:rsa_pss_pss_sha256:rsa_pss_pss_sha384:"
	  "rsa_pss_pss_sha512:RSA+SHA256:RSA+SHA384:RSA+SHA512:RSA+SHA224:RSA+SHA1" },
	{ "ECDSA", "aECDSA:@SECLEVEL=0",
	  "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ECDSA+SHA224:ECDSA+SHA1" },
};

/* key_type_session - one more session up to a finished STARTTLS
 * handshake, the client limited to one key type: the "tls" object of that
 * handshake, or NULL when the server has no such certificate (it refuses
 * the handshake, or sends another key type anyway) or the session broke. */
static json_t *key_type_session(const mxray_config_t *cfg, SSL_CTX *tls, const char *host,
				const netaddr_t *addr, long long job_deadline,
				const key_type_ask_t *kt)
{
	char err[768];
	smtp_fail_t fail;
	smtp_reply_t reply;
	json_t *out = NULL;
	smtp_reply_init(&reply);
	smtp_client_opts_t opts = smtp_client_opts_for(cfg, host, addr, job_deadline);
	smtp_client_t *c = smtp_client_open(&opts, &fail, err, sizeof(err));
	if (c == NULL)
		return NULL;
	SSL *ssl = NULL;
	if (smtp_client_greeting(c, &reply, err, sizeof(err)) != 0 || reply.code / 100 != 2 ||
	    smtp_client_ehlo(c, &reply, err, sizeof(err)) != 0 || reply.code / 100 != 2)
		goto done;
	ssl = tls_probe_ssl_new(tls, host, err, sizeof(err));
	if (ssl == NULL || SSL_set_cipher_list(ssl, kt->suites) != 1 ||
	    SSL_set1_sigalgs_list(ssl, kt->sigalgs) != 1) {
		ERR_clear_error();
		SSL_free(ssl);
		goto done;
	}
	/* smtp_client owns ssl from here, whatever the outcome. */
	if (smtp_client_starttls(c, ssl, &reply, err, sizeof(err)) != 0)
		goto done;
	out = tls_probe_describe(smtp_client_ssl(c), host);
	if (strcmp(json_string_value(json_object_get(out, "key_type")) ?: "", kt->name) != 0) {
		json_decref(out);	/* it ignored what we asked for */
		out = NULL;
	}
	smtp_client_quit(c);
done:
	smtp_client_close(c);
	smtp_reply_clear(&reply);
	return out;
}

/* other_key_types - the certificates of key types the first handshake did
 * not show (a server may hold RSA and ECDSA certificates and pick by the
 * client's offer): one more session per key type; the array of their
 * "tls" objects, in tls as "other_key_types". Few servers have a second
 * key type, so this costs one more connection where there is none. */
static void other_key_types(const mxray_config_t *cfg, SSL_CTX *tls, const char *host,
			    const netaddr_t *addr, long long job_deadline, json_t *tls_obj)
{
	const char *first = json_string_value(json_object_get(tls_obj, "key_type"));
	json_t *others = json_array();
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++) {
		if (first != NULL && strcmp(first, key_types[i].name) == 0)
			continue;
		if (job_deadline > 0 && clock_ms() >= job_deadline)
			break;
		json_t *o = key_type_session(cfg, tls, host, addr, job_deadline, &key_types[i]);
		if (o != NULL)
			json_array_append_new(others, o);
	}
	json_object_set_new(tls_obj, "other_key_types", others);
}

/* probe_session - the dialogue; *told is set when gate heard "TLS ok". */
static json_t *probe_session(const mxray_config_t *cfg, SSL_CTX *tls, const char *host,
			     const netaddr_t *addr, long long job_deadline,
			     const smtp_probe_tls_gate_t *gate, int *told)
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
	if (c == NULL && fail == SMTP_FAIL_NO_SLOT) {
		/* Our own limit, never the server's fault (hard rule 2). */
		snprintf(reason, sizeof(reason), "mxray's own limit of connections to this address "
			 "([probe] connections_per_address = %d) stayed in use until the deadline (%s); "
			 "test again in a few minutes", cfg->connections_per_address, err);
		set_state(o, "not_tested", reason);
		json_object_set_new(o, "mxray_limit", json_string("connection slots"));
		return o;
	}
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
	if (gate != NULL) {
		gate->tell(gate->arg, 1);	/* the scan may start beside the rest */
		*told = 1;
	}
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
	/* Cut short by the job deadline: our limit, and no evidence to reuse. */
	if (job_deadline > 0 && clock_ms() >= job_deadline &&
	    strcmp(json_string_value(json_object_get(o, "state")) ?: "", "tested") != 0)
		json_object_set_new(o, "mxray_limit", json_string("job deadline"));
	/* What a sender over TLS is offered; the first EHLO without TLS. */
	const json_t *lines = json_object_get(o, "ehlo_after_tls");
	const char *from = "ehlo_after_tls";
	if (!json_is_array(lines)) {
		lines = json_object_get(o, "ehlo");
		from = "ehlo";
	}
	if (json_is_array(lines))
		json_object_set_new(o, "extensions", ehlo_extensions(lines, from));
	json_object_set(o, "transcript", smtp_client_transcript(c));
	log_debug("%s[%s]: %s in state %s", host, ip,
		  json_string_value(json_object_get(o, "state")),
		  smtp_state_name(smtp_client_state(c)));
	smtp_client_close(c);
	smtp_reply_clear(&reply);
	json_t *tls_obj = json_object_get(o, "tls");
	if (json_is_object(tls_obj) && tls != NULL)
		other_key_types(cfg, tls, host, addr, job_deadline, tls_obj);
	return o;
}

json_t *smtp_probe_address(const mxray_config_t *cfg, SSL_CTX *tls, const char *host,
			   const netaddr_t *addr, long long job_deadline,
			   const smtp_probe_tls_gate_t *gate)
{
	int told = 0;
	json_t *o = probe_session(cfg, tls, host, addr, job_deadline, gate, &told);
	if (gate != NULL && !told)
		gate->tell(gate->arg, 0);
	return o;
}
