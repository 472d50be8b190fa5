/*
 * dkim_verify.c - libopendkim over mxray's resolver (see dkim_verify.h).
 *
 * libopendkim's DNS hooks are asynchronous (start, waitreply, cancel);
 * mxray's resolver is synchronous and thread-safe, so "start" asks the
 * question at once and keeps the outcome in a per-query handle that
 * "waitreply" reports and "cancel" frees (libopendkim cancels every query
 * it started, whatever the outcome). The wire-format reply is copied into
 * libopendkim's buffer; one that does not fit is an error, not a cut.
 * The "init" and "close" hooks are replaced too, so libopendkim never
 * calls res_init() nor frees our service handle.
 * Results follow OpenDKIM's own Authentication-Results mapping
 * (dkimf_ar_all_sigs), except that DNSSEC-bogus keys are temperror and,
 * by RFC 8301, rsa-sha1 signatures and RSA keys under 1024 bits fail.
 * Each signature also carries its tags (i= c= h= l= t= x=), the key
 * record's (k= t= h= s=, revoked, testing), key size and type, the key's
 * DNSSEC status, and findings for what an admin should change.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <opendkim/dkim.h>

#include "analysis/dkim_verify.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "mail/finding.h"
#include "mail/record.h"

/* libopendkim's verifier keeps a field in a buffer of 65536 bytes with
 * its NUL (MAXBUFRSZ) and silently hashes nothing of a longer one, which
 * fails every signature over it. Such a field is not fed; the caller
 * counts it (message_limits_dkim_skip) and those signatures are neutral. */

struct dkim_verify_lib {
	DKIM_LIB *lib;
	analysis_dns_t dns;
};

struct dkim_verify {
	dkim_verify_lib_t *lib;
	DKIM *dkim;
	int eoh_done;
	int nosig;		/* no DKIM-Signature: skip the body */
	strbuf_t line;		/* scratch for "name:value" */
};

/* One key query: its outcome, kept from start to waitreply. */
typedef struct dkv_query {
	int status;		/* DKIM_DNS_* */
	int dnssec;		/* DKIM_DNSSEC_* */
	size_t len;
} dkv_query_t;

static int dkv_dns_init(void **srv)
{
	(void)srv;
	return 0;
}

static void dkv_dns_close(void *srv)
{
	(void)srv;
}

/* dkv_dns_start - ask now; report through waitreply. */
static int dkv_dns_start(void *srv, int type, unsigned char *query, unsigned char *buf,
			 size_t buflen, void **qh)
{
	const analysis_dns_t *dns = srv;
	dkv_query_t *q = calloc(1, sizeof(*q));
	dns_answer_t *a = NULL;
	char err[256];

	if (q == NULL)
		return -1;
	q->status = DKIM_DNS_ERROR;
	q->dnssec = DKIM_DNSSEC_UNKNOWN;
	*qh = q;
	if (dns->query(dns->arg, (const char *)query, type, &a, err, sizeof(err)) != 0) {
		log_debug("dkim: key lookup %s: %s", query, err);
		return 0;
	}
	if (a->dnssec == DNSSEC_BOGUS) {
		q->dnssec = DKIM_DNSSEC_BOGUS;
		log_debug("dkim: key %s is DNSSEC-bogus: %s", query,
			  a->why_bogus ? a->why_bogus : "?");
	} else if (a->outcome == DNS_SERVFAIL) {
		log_debug("dkim: key lookup %s: SERVFAIL", query);
	} else if (a->packet == NULL || a->packet_len < 12 || a->packet_len > buflen) {
		log_debug("dkim: key lookup %s: reply of %zu bytes unusable", query,
			  a->packet_len);
	} else {
		memcpy(buf, a->packet, a->packet_len);
		q->len = a->packet_len;
		q->status = DKIM_DNS_SUCCESS;
		q->dnssec = a->dnssec == DNSSEC_SECURE ? DKIM_DNSSEC_SECURE : DKIM_DNSSEC_INSECURE;
	}
	dns_answer_free(a);
	return 0;
}

static int dkv_dns_waitreply(void *srv, void *qh, struct timeval *to, size_t *bytes, int *error,
			     int *dnssec)
{
	dkv_query_t *q = qh;
	(void)srv;
	(void)to;
	if (bytes)
		*bytes = q->len;
	if (error)
		*error = 0;
	if (dnssec)
		*dnssec = q->dnssec;
	return q->status;
}

static int dkv_dns_cancel(void *srv, void *qh)
{
	(void)srv;
	free(qh);
	return 0;
}

dkim_verify_lib_t *dkim_verify_lib_new(const analysis_dns_t *dns, char *err, size_t errlen)
{
	dkim_verify_lib_t *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->dns = *dns;
	l->lib = dkim_init(NULL, NULL);
	if (l->lib == NULL) {
		snprintf(err, errlen, "libopendkim: dkim_init failed");
		free(l);
		return NULL;
	}
	/* BADSIGHANDLES: malformed signatures are reported too, as permerror.
	 * FIXCRLF: header values from the MTA may carry bare LF in folds. */
	unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_FIXCRLF;
	if (dkim_options(l->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof(flags)) !=
	    DKIM_STAT_OK) {
		snprintf(err, errlen, "libopendkim: cannot set library flags");
		dkim_verify_lib_free(l);
		return NULL;
	}
	dkim_dns_set_init(l->lib, dkv_dns_init);
	dkim_dns_set_close(l->lib, dkv_dns_close);
	dkim_dns_set_query_service(l->lib, &l->dns);
	dkim_dns_set_query_start(l->lib, dkv_dns_start);
	dkim_dns_set_query_waitreply(l->lib, dkv_dns_waitreply);
	dkim_dns_set_query_cancel(l->lib, dkv_dns_cancel);
	return l;
}

void dkim_verify_lib_free(dkim_verify_lib_t *l)
{
	if (l == NULL)
		return;
	if (l->lib)
		dkim_close(l->lib);
	free(l);
}

void *dkim_verify_lib_handle(dkim_verify_lib_t *l)
{
	return l->lib;
}

dkim_verify_t *dkim_verify_new(dkim_verify_lib_t *lib, const char *id, char *err, size_t errlen)
{
	DKIM_STAT st = DKIM_STAT_OK;
	dkim_verify_t *v = calloc(1, sizeof(*v));
	if (v == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->lib = lib;
	strbuf_init(&v->line);
	v->dkim = dkim_verify(lib->lib, (const unsigned char *)(id ? id : "mxray"), NULL, &st);
	if (v->dkim == NULL) {
		snprintf(err, errlen, "libopendkim: dkim_verify: %s", dkim_getresultstr(st));
		dkim_verify_free(v);
		return NULL;
	}
	return v;
}

size_t dkim_verify_header(dkim_verify_t *v, const char *name, const char *value,
			  int lead_space_kept)
{
	if (v == NULL || v->eoh_done || name == NULL || value == NULL)
		return 0;	/* nothing to verify: nothing left out */
	strbuf_reset(&v->line);
	strbuf_printf(&v->line, "%s:%s", name, lead_space_kept ? "" : " ");
	/* Postfix hands folded header values over with bare LF; the signer
	 * hashed CRLF. libopendkim's FIXCRLF flag does not cover headers (a
	 * real signed mail failed through Postfix), so restore CRLF here. */
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			strbuf_append(&v->line, "\r", 1);
		strbuf_append(&v->line, p, 1);
	}
	if (v->line.len > DKIM_VERIFY_HEADER_MAX)
		return v->line.len;
	/* A malformed field is libopendkim's to judge; not our error. */
	(void)dkim_header(v->dkim, (u_char *)v->line.data, v->line.len);
	return 0;
}

void dkim_verify_eoh(dkim_verify_t *v)
{
	if (v == NULL || v->eoh_done)
		return;
	v->eoh_done = 1;
	if (dkim_eoh(v->dkim) == DKIM_STAT_NOSIG)
		v->nosig = 1;
}

void dkim_verify_body(dkim_verify_t *v, const unsigned char *buf, size_t len)
{
	if (v == NULL || v->nosig || len == 0)
		return;
	if (!v->eoh_done)
		dkim_verify_eoh(v);
	if (!v->nosig)
		(void)dkim_body(v->dkim, (u_char *)buf, len);
}

/* dkv_result - after OpenDKIM's mapping (dkimf_ar_all_sigs), but a key or
 * tag that is missing or broken is permerror (RFC 6376 6.1: PERMFAIL), a
 * signature that does not match is fail, and a bogus key never passes. */
static const char *dkv_result(DKIM_SIGINFO *sig)
{
	unsigned int flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig);
	int bh = dkim_sig_getbh(sig);

	if (dkim_sig_getdnssec(sig) == DKIM_DNSSEC_BOGUS)
		return "temperror";
	if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH)
		return "pass";
	if (err == DKIM_SIGERROR_MULTIREPLY || err == DKIM_SIGERROR_KEYFAIL ||
	    err == DKIM_SIGERROR_DNSSYNTAX)
		return "temperror";
	if (err == DKIM_SIGERROR_KEYTOOSMALL)
		return "policy";
	if (err == DKIM_SIGERROR_BADSIG || ((flags & DKIM_SIGFLAG_PROCESSED) && bh == DKIM_SIGBH_MISMATCH))
		return "fail";
	if (err != DKIM_SIGERROR_UNKNOWN && err != DKIM_SIGERROR_OK)
		return "permerror";
	if (flags & DKIM_SIGFLAG_PROCESSED)
		return "fail";
	return "neutral";
}

static const char *dkv_dnssec_name(int d)
{
	switch (d) {
	case DKIM_DNSSEC_SECURE: return "secure";
	case DKIM_DNSSEC_INSECURE: return "insecure";
	case DKIM_DNSSEC_BOGUS: return "bogus";
	default: return "unknown";
	}
}

/* dkv_reason - why, in words: libopendkim's error, the body hash, the key. */
static void dkv_reason(DKIM_SIGINFO *sig, const char *result, strbuf_t *out)
{
	int err = dkim_sig_geterror(sig);
	unsigned int bits = 0;
	const char *es = err != DKIM_SIGERROR_OK && err != DKIM_SIGERROR_UNKNOWN
			 ? dkim_sig_geterrorstr(err) : NULL;

	if (strcmp(result, "pass") == 0)
		strbuf_puts(out, "signature verified");
	else if (dkim_sig_getdnssec(sig) == DKIM_DNSSEC_BOGUS)
		strbuf_puts(out, "key record failed DNSSEC validation (bogus)");
	else if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
		strbuf_puts(out, "body hash mismatch: the body changed after signing");
	else if (es != NULL)
		strbuf_puts(out, es);
	else if (!(dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED))
		strbuf_puts(out, "signature not processed");
	else
		strbuf_puts(out, "signature did not verify");
	if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK && bits > 0)
		strbuf_printf(out, " (%u-bit key, key DNSSEC %s)", bits,
			      dkv_dnssec_name(dkim_sig_getdnssec(sig)));
}

/* dkv_tag - a tag of the signature (key 0) or of its key record (key 1),
 * into o under name; returns the value (borrowed) or NULL. */
static const char *dkv_tag(DKIM_SIGINFO *sig, int key, const char *tag, json_t *o,
			   const char *name)
{
	const char *val = (const char *)dkim_sig_gettagvalue(sig, key, (u_char *)tag);
	if (o != NULL && name != NULL)
		record_set_text(o, name, val);
	return val;
}

/* dkv_has_flag - the key record's colon-separated t= list holds flag. */
static int dkv_has_flag(const char *list, const char *flag)
{
	size_t fl = strlen(flag);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t:");
		size_t n = strcspn(p, ":");
		size_t m = n;
		while (m > 0 && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == fl && strncasecmp(p, flag, fl) == 0)
			return 1;
		p += n;
	}
	return 0;
}

/* dkv_details - the tags of signature and key record that admins check,
 * and the findings mxray draws from them (RFC 6376, RFC 8301, RFC 8463).
 * May turn result into "fail" (rsa-sha1, RSA key under 1024 bits). */
static const char *dkv_details(const analysis_dns_t *dns, DKIM_SIGINFO *sig, json_t *o,
			       const char *result, strbuf_t *why)
{
	char subject[300];
	const char *d = (const char *)dkim_sig_getdomain(sig);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	snprintf(subject, sizeof(subject), "d=%.120s s=%.120s", d ? d : "?", sel ? sel : "?");

	dkv_tag(sig, 0, "i", o, "identity");
	dkv_tag(sig, 0, "c", o, "canonicalization");
	const char *h = dkv_tag(sig, 0, "h", NULL, NULL);
	json_t *hl = json_array();
	for (const char *p = h; p && *p;) {
		p += strspn(p, " \t\r\n:");
		size_t n = strcspn(p, ":");
		size_t m = n;
		while (m > 0 && strchr(" \t\r\n", p[m - 1]))
			m--;
		if (m > 0 && json_array_size(hl) < 64)
			json_array_append_new(hl, record_text(p, m));
		p += n;
	}
	json_object_set_new(o, "headers", hl);
	const char *l = dkv_tag(sig, 0, "l", o, "body_length");
	const char *t = dkv_tag(sig, 0, "t", o, "timestamp");
	const char *x = dkv_tag(sig, 0, "x", o, "expires");
	(void)t;
	/* whether the body as received hashes to bh= (null: not compared,
	 * e.g. no key to verify against) */
	int bh = dkim_sig_getbh(sig);
	json_object_set_new(o, "body_hash", bh == DKIM_SIGBH_MATCH ? json_string("match") :
			    bh == DKIM_SIGBH_MISMATCH ? json_string("mismatch") : json_null());

	unsigned int bits = 0;
	int have_key = dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK && bits > 0;
	const char *alg = dkv_tag(sig, 0, "a", NULL, NULL);
	int ed = alg && strncasecmp(alg, "ed25519", 7) == 0;
	const char *kp0 = dkv_tag(sig, 1, "p", NULL, NULL);
	if (!have_key && ed && kp0 && kp0[0])
		bits = 256;	/* Ed25519 keys have one size; libopendkim reports none */
	json_object_set_new(o, "key_bits", have_key || bits ? json_integer(bits) : json_null());
	/* The key record is asked again here (the resolver has it cached):
	 * for the name a CNAME led to (a key delegated to a provider), and,
	 * as libopendkim knows the DNSSEC status only when the lookup worked,
	 * for why a bogus or failed one failed. */
	int ds = dkim_sig_getdnssec(sig);
	const char *why_bogus = NULL;
	dns_answer_t *ka = NULL;
	char qname[600], qerr[256];
	if (d && sel && snprintf(qname, sizeof(qname), "%s._domainkey.%s", sel, d) < (int)sizeof(qname) &&
	    dns->query(dns->arg, qname, 16, &ka, qerr, sizeof(qerr)) == 0) {
		if (ds == DKIM_DNSSEC_UNKNOWN) {
			ds = ka->dnssec == DNSSEC_BOGUS ? DKIM_DNSSEC_BOGUS
			   : ka->dnssec == DNSSEC_SECURE ? DKIM_DNSSEC_SECURE
			   : ka->outcome == DNS_OK || ka->outcome == DNS_NXDOMAIN ||
			     ka->outcome == DNS_NODATA ? DKIM_DNSSEC_INSECURE : DKIM_DNSSEC_UNKNOWN;
			why_bogus = ka->why_bogus;
		}
		size_t cl = ka->canonname ? strlen(ka->canonname) : 0;
		if (cl > 0 && ka->canonname[cl - 1] == '.')
			cl--;
		if (cl > 0 && (cl != strlen(qname) || strncasecmp(ka->canonname, qname, cl) != 0)) {
			json_t *cn = record_text(ka->canonname, cl);
			json_object_set_new(o, "key_cname", cn);
		}
	}
	json_object_set_new(o, "key_dnssec", json_string(dkv_dnssec_name(ds)));
	if (ds == DKIM_DNSSEC_BOGUS) {
		record_set_text(o, "key_why_bogus", why_bogus);
		finding_add(o, "dkim.key_dnssec_bogus", subject, "%s", why_bogus ? why_bogus : "");
		if (strcmp(result, "pass") == 0 || strcmp(result, "permerror") == 0)
			result = "temperror";
		strbuf_puts(why, "key record failed DNSSEC validation (bogus)");
	}
	dns_answer_free(ka);
	const char *kk = dkv_tag(sig, 1, "k", NULL, NULL);
	const char *kt = dkv_tag(sig, 1, "t", NULL, NULL);
	const char *kp = dkv_tag(sig, 1, "p", NULL, NULL);
	const char *kv = dkv_tag(sig, 1, "v", NULL, NULL);
	int key_seen = kk || kt || kp || kv;
	json_t *key = json_object();
	record_set_text(key, "k", kk ? kk : (kp ? "rsa" : NULL));
	record_set_text(key, "t", kt);
	dkv_tag(sig, 1, "h", key, "h");
	dkv_tag(sig, 1, "s", key, "s");
	json_object_set_new(key, "revoked", json_boolean(dkim_sig_geterror(sig) == DKIM_SIGERROR_KEYREVOKED ||
							 (kp != NULL && kp[strspn(kp, " \t")] == '\0')));
	json_object_set_new(key, "testing", json_boolean(dkv_has_flag(kt, "y")));
	json_object_set_new(o, "key", key_seen || json_is_true(json_object_get(key, "revoked"))
				  ? key : json_null());
	if (!key_seen && !json_is_true(json_object_get(key, "revoked")))
		json_decref(key);

	json_object_set_new(o, "key_type", json_string(ed ? "ed25519" : "rsa"));
	if (alg && strcasecmp(alg, "rsa-sha1") == 0) {
		finding_add(o, "dkim.rsa_sha1", subject, NULL);
		if (strcmp(result, "pass") == 0) {
			result = "fail";	/* RFC 8301 3.1: never valid */
			strbuf_puts(why, "rsa-sha1 signatures are not valid (RFC 8301); the signature itself verified");
		}
	}
	if (have_key && !ed) {
		if (bits < 1024) {
			finding_add(o, "dkim.key_too_small", subject, "%u-bit RSA key", bits);
			if (strcmp(result, "pass") == 0 || strcmp(result, "policy") == 0) {
				result = "fail";	/* RFC 8301 3.2 */
				strbuf_printf(why, "%u-bit RSA key: under 1024 bits is not valid (RFC 8301)", bits);
			}
		} else if (bits < 2048) {
			finding_add(o, "dkim.key_weak", subject, "%u-bit RSA key", bits);
		}
	}
	if (json_is_true(json_object_get(json_object_get(o, "key"), "revoked")))
		finding_add(o, "dkim.key_revoked", subject, NULL);
	if (dkv_has_flag(kt, "y"))
		finding_add(o, "dkim.key_testing", subject, "t=%s", kt);
	if (l != NULL)
		finding_add(o, "dkim.body_length", subject, "l=%s", l);
	if (x != NULL && dkim_sig_geterror(sig) == DKIM_SIGERROR_EXPIRED)
		finding_add(o, "dkim.expired", subject, "x=%s", x);
	if (dkim_sig_geterror(sig) == DKIM_SIGERROR_NOKEY)
		finding_add(o, "dkim.key_missing", subject, "no TXT record at %s._domainkey.%s",
			    sel ? sel : "?", d ? d : "?");
	return result;
}

json_t *dkim_verify_finish(dkim_verify_t *v)
{
	json_t *arr = json_array();
	DKIM_SIGINFO **sigs = NULL;
	int nsigs = 0;
	_Bool testkey = 0;

	if (v == NULL)
		return arr;
	if (!v->eoh_done)
		dkim_verify_eoh(v);
	if (v->nosig)
		return arr;
	/* dkim_eom's status speaks of one signature only; walk them all. */
	(void)dkim_eom(v->dkim, &testkey);
	if (dkim_getsiglist(v->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
		return arr;
	for (int i = 0; i < nsigs; i++) {
		DKIM_SIGINFO *sig = sigs[i];
		json_t *o = json_object();
		const char *result = dkv_result(sig);
		const unsigned char *alg = dkim_sig_gettagvalue(sig, 0, (u_char *)"a");
		strbuf_t reason = STRBUF_INIT;

		record_set_text(o, "domain", (const char *)dkim_sig_getdomain(sig));
		record_set_text(o, "selector", (const char *)dkim_sig_getselector(sig));
		record_set_text(o, "algorithm", (const char *)alg);
		strbuf_t why = STRBUF_INIT;
		strbuf_init(&why);
		result = dkv_details(&v->lib->dns, sig, o, result, &why);
		json_object_set_new(o, "result", json_string(result));
		if (why.len > 0)
			strbuf_append(&reason, why.data, why.len);
		else
			dkv_reason(sig, result, &reason);
		strbuf_free(&why);
		record_set_text(o, "reason", reason.data);
		strbuf_free(&reason);
		json_array_append_new(arr, o);
	}
	return arr;
}

void dkim_verify_free(dkim_verify_t *v)
{
	if (v == NULL)
		return;
	if (v->dkim)
		dkim_free(v->dkim);
	strbuf_free(&v->line);
	free(v);
}
