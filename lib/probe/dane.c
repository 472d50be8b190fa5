/*
 * dane.c - TLSA lookup and DANE verification (see dane.h).
 *
 * Trusts the validator for the DNSSEC status and OpenSSL's DANE code for
 * the match; nothing in the records: rdata shorter than 4 bytes, unknown
 * parameters and hash lengths that do not fit their matching type are
 * reported as problems, never matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "base/log.h"
#include "mail/finding.h"
#include "mail/record.h"
#include "probe/txt.h"
#include "probe/dane.h"

#define TLSA_TYPE 52
#define TLSA_RECORDS_MAX 32

static const char *usage_name(int u)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };
	return u >= 0 && u <= 3 ? names[u] : "unknown";
}

/* data_len_ok - the association data length fits the matching type. */
static int data_len_ok(int mtype, size_t len)
{
	return (mtype == 0 && len > 0) || (mtype == 1 && len == 32) || (mtype == 2 && len == 64);
}

static void hex(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t o = 0;
	for (size_t k = 0; k < n && o + 3 <= outlen; k++, o += 2)
		snprintf(out + o, 3, "%02x", p[k]);
	out[o] = '\0';
}

/* chain_from_json - the certificates of an address's "tls.chain" (their
 * "pem"), leaf first; NULL if there is none. */
static STACK_OF(X509) *chain_from_json(const json_t *chain)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t i;
	json_t *c;
	json_array_foreach(chain, i, c) {
		const char *pem = json_string_value(json_object_get(c, "pem"));
		if (pem == NULL)
			break;
		BIO *b = BIO_new_mem_buf(pem, -1);
		X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (x == NULL)
			break;
		sk_X509_push(sk, x);
	}
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

/* verify - DANE-verify one chain for host against the records: the
 * address's "dane" object (new reference). */
static json_t *verify(SSL_CTX *ctx, const char *host, const dane_tlsa_t *t, size_t nt,
		      STACK_OF(X509) *sk)
{
	json_t *ad = json_object();
	SSL *s = SSL_new(ctx);
	X509_STORE_CTX *x = X509_STORE_CTX_new();
	int added = 0;

	if (s == NULL || x == NULL || SSL_dane_enable(s, host) <= 0) {
		ERR_clear_error();
		json_object_set_new(ad, "state", json_string("not_checked"));
		json_object_set_new(ad, "reason", json_string("OpenSSL could not set up DANE"));
		goto out;
	}
	/* RFC 7672 3.1.1: no name checks for DANE-EE(3). */
	SSL_dane_set_flags(s, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	for (size_t i = 0; i < nt; i++)
		if (SSL_dane_tlsa_add(s, t[i].usage, t[i].selector, t[i].mtype, t[i].data, t[i].len) > 0)
			added++;
	ERR_clear_error();
	if (added == 0) {
		json_object_set_new(ad, "state", json_string("not_checked"));
		json_object_set_new(ad, "reason", json_string("OpenSSL accepted none of the records"));
		goto out;
	}
	X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(ctx), sk_X509_value(sk, 0), sk);
	X509_STORE_CTX_set_default(x, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(x), SSL_get0_param(s));
	X509_STORE_CTX_set0_dane(x, SSL_get0_dane(s));
	int ok = X509_verify_cert(x) == 1;
	int err = X509_STORE_CTX_get_error(x);
	ERR_clear_error();
	if (!ok) {
		json_object_set_new(ad, "state", json_string("mismatch"));
		json_object_set_new(ad, "matched_record", json_null());
		json_object_set_new(ad, "depth", json_null());
		json_object_set_new(ad, "reason", json_string(X509_verify_cert_error_string(err)));
		goto out;
	}
	/* SSL_get0_dane_tlsa reads the verify result of the SSL object. */
	SSL_set_verify_result(s, X509_V_OK);
	uint8_t u, sel, mt;
	unsigned const char *data = NULL;
	size_t dlen = 0;
	int depth = SSL_get0_dane_tlsa(s, &u, &sel, &mt, &data, &dlen);
	int matched = -1;
	for (size_t i = 0; i < nt && matched < 0 && depth >= 0; i++)
		if (t[i].usage == u && t[i].selector == sel && t[i].mtype == mt && t[i].len == dlen &&
		    memcmp(t[i].data, data, dlen) == 0)
			matched = t[i].index;
	json_object_set_new(ad, "state", json_string("valid"));
	json_object_set_new(ad, "matched_record", matched >= 0 ? json_integer(matched) : json_null());
	json_object_set_new(ad, "depth", depth >= 0 ? json_integer(depth) : json_null());
	json_object_set_new(ad, "reason", json_null());
out:
	X509_STORE_CTX_free(x);
	SSL_free(s);
	return ad;
}

json_t *dane_tlsa_parse(const unsigned char *p, size_t n, size_t ordinal, dane_tlsa_t *out,
			int *usable, char *problem, size_t problemlen)
{
	char hx[2 * 64 + 1];
	if (problemlen > 0)
		problem[0] = '\0';
	if (usable)
		*usable = 0;
	if (n < 4 || n - 3 > DANE_TLSA_DATA_MAX || (p[2] <= 2 && !data_len_ok(p[2], n - 3))) {
		hex(p, n < 64 ? n : 64, hx, sizeof(hx));
		snprintf(problem, problemlen, "TLSA record %zu: %zu bytes of rdata%s, not a valid record: %s%s",
			 ordinal, n,
			 n >= 4 && n - 3 <= DANE_TLSA_DATA_MAX ? " (hash length does not fit the matching type)"
			 : n >= 4 ? " (more association data than a DNS record can hold)" : "",
			 hx, n > 64 ? "..." : "");
		return NULL;
	}
	char *data = malloc(2 * (n - 3) + 1);
	if (data == NULL)
		log_panic("dane_tlsa_parse: out of memory");
	hex(p + 3, n - 3, data, 2 * (n - 3) + 1);
	int ok = (p[0] == 2 || p[0] == 3) && p[1] <= 1 && p[2] <= 2;
	if (ok && out != NULL) {
		out->usage = p[0];
		out->selector = p[1];
		out->mtype = p[2];
		out->data = p + 3;
		out->len = n - 3;
	}
	if (usable)
		*usable = ok;
	json_t *rec = json_pack("{si si si ss ss sb}", "usage", p[0], "selector", p[1], "matching_type",
				p[2], "usage_name", usage_name(p[0]), "data", data, "usable", ok);
	free(data);
	return rec;
}

/* mark_matched - mark the record a DANE verdict matched (an index into "records"). */
static void mark_matched(const json_t *verdict, unsigned char *used, size_t nrec)
{
	json_t *m = json_object_get(verdict, "matched_record");
	if (json_is_integer(m) && json_integer_value(m) >= 0 && (size_t)json_integer_value(m) < nrec)
		used[json_integer_value(m)] = 1;
}

/* rollover_advice - RFC 7671 8.1: with every usable record matching a key
 * in use now and no DANE-TA record, the next key change breaks DANE
 * delivery until DNS catches up. Only said when every address matched. */
static void rollover_advice(json_t *d, const char *host, const dane_tlsa_t *t, size_t nt,
			    const json_t *addrs)
{
	unsigned char used[TLSA_RECORDS_MAX] = { 0 };
	size_t i, k, checked = 0;
	json_t *addr;
	for (k = 0; k < nt; k++)
		if (t[k].usage == 2)
			return;
	json_array_foreach(addrs, i, addr) {
		const json_t *ad = json_object_get(addr, "dane");
		const char *state = json_string_value(json_object_get(ad, "state"));
		if (state == NULL)
			continue;
		if (strcmp(state, "valid") != 0)
			return;
		checked++;
		mark_matched(ad, used, TLSA_RECORDS_MAX);
		const json_t *by = json_object_get(ad, "by_key_type"), *v;
		size_t j;
		json_array_foreach(by, j, v)
			mark_matched(v, used, TLSA_RECORDS_MAX);
	}
	for (k = 0; k < nt; k++)
		if (t[k].index < 0 || t[k].index >= TLSA_RECORDS_MAX || !used[t[k].index])
			return;	/* a record no current key matches: staged for the next one */
	if (checked > 0)
		finding_add(d, "dane.no_rollover_record", host, "%zu usable TLSA record%s, all for keys "
			    "in use now", nt, nt == 1 ? "" : "s");
}

/* verify_other_key_types - a server with certificates of several key
 * types (RSA and ECDSA) hands each sender the one its offer selects, so
 * every one must match the TLSA records (RFC 7671 8.1, RFC 7672 3.1):
 * each is verified, listed in ad's "by_key_type", and one that fails
 * makes the address's state "mismatch" with the key type in the reason. */
static void verify_other_key_types(SSL_CTX *ctx, const char *host, const dane_tlsa_t *t,
				   size_t nt, const json_t *tls, json_t *ad)
{
	json_t *others = json_object_get(tls, "other_key_types");
	if (json_array_size(others) == 0)
		return;
	json_t *by = json_array();
	json_t *first = json_deep_copy(ad);
	json_object_set(first, "key_type", json_object_get(tls, "key_type"));
	json_array_append_new(by, first);
	if (strcmp(json_string_value(json_object_get(ad, "state")) ?: "", "mismatch") == 0) {
		char why[300];
		snprintf(why, sizeof(why), "the %s certificate does not match: %s",
			 json_string_value(json_object_get(tls, "key_type")) ?: "first",
			 json_string_value(json_object_get(ad, "reason")) ?: "?");
		json_object_set_new(ad, "reason", json_string(why));
		json_object_set(ad, "mismatched_key_type", json_object_get(tls, "key_type"));
	}
	size_t i;
	json_t *o;
	json_array_foreach(others, i, o) {
		STACK_OF(X509) *sk = chain_from_json(json_object_get(o, "chain"));
		if (sk == NULL)
			continue;
		json_t *v = verify(ctx, host, t, nt, sk);
		sk_X509_pop_free(sk, X509_free);
		json_object_set(v, "key_type", json_object_get(o, "key_type"));
		const char *st = json_string_value(json_object_get(v, "state"));
		if (st && strcmp(st, "mismatch") == 0 &&
		    strcmp(json_string_value(json_object_get(ad, "state")) ?: "", "valid") == 0) {
			char why[300];
			snprintf(why, sizeof(why), "the %s certificate does not match: %s",
				 json_string_value(json_object_get(o, "key_type")) ?: "other",
				 json_string_value(json_object_get(v, "reason")) ?: "?");
			json_object_set_new(ad, "state", json_string("mismatch"));
			json_object_set_new(ad, "reason", json_string(why));
			json_object_set_new(ad, "mismatched_key_type", json_deep_copy(json_object_get(o, "key_type")));
		}
		json_array_append_new(by, v);
	}
	json_object_set_new(ad, "by_key_type", by);
}

/* senders_skip_reason - why a DANE sender never looks up this host's TLSA
 * records, or NULL when it does (RFC 7672 2.2.1 and 2.2.2): it uses DANE
 * only for an MX host it reached through a DNSSEC-secure MX RRset (for the
 * implicit MX of a domain without MX records, the domain's own address
 * records decide) and whose address records are secure. A bogus MX RRset
 * or bogus address records are no reason to skip: the sender defers that
 * mail (RFC 7672 2.1.1), dns.mx.dnssec_bogus and the untested addresses
 * say so, and bogus TLSA records stay a failure. *finding is the
 * critical finding for signed TLSA records published anyway. */
static const char *senders_skip_reason(const json_t *mx_dns, const json_t *mx_host,
				       const char **finding)
{
	const char *mx = json_string_value(json_object_get(mx_dns, "dnssec"));
	const char *addrs = json_string_value(json_object_get(mx_host, "addresses_dnssec"));
	if (!json_is_true(json_object_get(mx_dns, "implicit")) && mx != NULL &&
	    strcmp(mx, "insecure") == 0) {
		*finding = "dane.mx_insecure";
		return "the domain's MX records are not DNSSEC-signed (insecure): DANE senders "
		       "do not look up TLSA records of a host found through them (RFC 7672 2.2.1)";
	}
	if (addrs != NULL && strcmp(addrs, "insecure") == 0) {
		*finding = "dane.addresses_insecure";
		return "the host's address records (A/AAAA) are not DNSSEC-secure (insecure): DANE "
		       "senders do not look up its TLSA records (RFC 7672 2.2.2)";
	}
	*finding = NULL;
	return NULL;
}

/* not_applied - the address's "dane" when senders do not use the TLSA
 * records: state not_applicable with why, and under "if_applied" what the
 * chain would give once they do (so the fix can be checked beforehand). */
static json_t *not_applied(json_t *would_be, const char *why)
{
	json_t *ad = json_pack("{ss sn sn ss}", "state", "not_applicable", "matched_record", "depth",
			       "reason", why);
	json_object_set_new(ad, "if_applied", would_be ? would_be : json_null());
	return ad;
}

void dane_check_mx(const mxray_config_t *cfg, resolver_t *r, json_t *mx_host, const json_t *mx_dns)
{
	const char *host = json_string_value(json_object_get(mx_host, "host"));
	if (host == NULL)
		return;
	char name[300], err[256];
	snprintf(name, sizeof(name), "_%d._tcp.%s", cfg->smtp_port, host);
	json_t *d = json_object();
	record_set_text(d, "tlsa_name", name);
	json_t *records = json_array(), *problems = json_array();
	dane_tlsa_t *t = calloc(TLSA_RECORDS_MAX, sizeof(*t));
	size_t nt = 0, pkix = 0;
	dns_answer_t *a = NULL;
	const char *outcome;
	if (t == NULL)
		log_panic("dane_check_mx: out of memory");
	if (resolver_query(r, name, TLSA_TYPE, &a, err, sizeof(err)) != 0) {
		outcome = "temperror";
	} else {
		json_object_set_new(d, "dnssec", json_string(dnssec_status_name(a->dnssec)));
		if (a->dnssec == DNSSEC_BOGUS)
			outcome = "bogus";
		else if (a->outcome == DNS_SERVFAIL)
			outcome = "temperror";
		else if (a->outcome != DNS_OK)
			outcome = "none";
		else
			outcome = a->dnssec == DNSSEC_SECURE ? "secure" : "insecure";
		for (size_t i = 0; a->outcome == DNS_OK && i < a->count && i < TLSA_RECORDS_MAX; i++) {
			char msg[300];
			int usable = 0;
			json_t *rec = dane_tlsa_parse(a->rdata[i].data, a->rdata[i].len, i + 1, &t[nt],
						      &usable, msg, sizeof(msg));
			if (rec == NULL) {
				json_array_append_new(problems, json_string(msg));
				continue;
			}
			pkix += json_integer_value(json_object_get(rec, "usage")) <= 1;
			if (usable && a->dnssec == DNSSEC_SECURE)
				t[nt++].index = (int)json_array_size(records);
			json_array_append_new(records, rec);
		}
	}
	/* a stays until the end: the kept records point into its rdata */
	json_object_set_new(d, "outcome", json_string(outcome));
	json_object_set_new(d, "records", records);
	json_object_set_new(d, "problems", problems);
	size_t usable = 0, i;
	json_t *rec;
	json_array_foreach(records, i, rec)
		usable += json_is_true(json_object_get(rec, "usable"));
	json_object_set_new(d, "usable_records", json_integer((json_int_t)usable));
	if (json_array_size(problems) > 0) {
		char *p = probe_join(problems);
		finding_add(d, "dane.malformed", host, "%s", p);
		free(p);
	}
	if (pkix > 0 && strcmp(outcome, "secure") == 0)
		finding_add(d, "dane.pkix_usage", host, "%zu record(s) with usage 0 or 1", pkix);
	/* Published and signed is not enough: senders must reach the records. */
	const char *skip_finding, *skip = senders_skip_reason(mx_dns, mx_host, &skip_finding);
	int published = strcmp(outcome, "secure") == 0 && json_array_size(records) > 0;
	json_object_set_new(d, "senders_look_up", json_boolean(skip == NULL));
	json_object_set_new(d, "applies", json_boolean(skip == NULL && nt > 0));
	record_set_text(d, "not_applied_because", skip);
	if (skip != NULL && published)
		finding_add(d, skip_finding, host, "%zu secure TLSA record%s at %s", json_array_size(records),
			    json_array_size(records) == 1 ? "" : "s", name);
	json_object_set_new(mx_host, "dane", d);
	if (nt == 0) {
		dns_answer_free(a);
		free(t);
		return;
	}

	/* Secure and usable: each address's chain must pass DANE. */
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL || SSL_CTX_dane_enable(ctx) <= 0) {
		log_error("dane_check_mx: OpenSSL could not set up DANE");
		SSL_CTX_free(ctx);
		dns_answer_free(a);
		free(t);
		return;
	}
	json_t *addr;
	json_array_foreach(json_object_get(mx_host, "addresses"), i, addr) {
		/* RFC 7672 2.2: with usable secure TLSA, senders require TLS. */
		const char *st = json_string_value(json_object_get(addr, "starttls"));
		if (skip != NULL) {
			json_t *tls = json_object_get(addr, "tls");
			STACK_OF(X509) *sk = st && strcmp(st, "ok") == 0 ?
					     chain_from_json(json_object_get(tls, "chain")) : NULL;
			json_t *would_be = NULL;
			if (sk != NULL) {
				would_be = verify(ctx, host, t, nt, sk);
				sk_X509_pop_free(sk, X509_free);
				verify_other_key_types(ctx, host, t, nt, tls, would_be);
			}
			if (st != NULL)
				json_object_set_new(addr, "dane", not_applied(would_be, skip));
			else
				json_decref(would_be);
			continue;
		}
		/* A handshake that timed out (or another reason not to test) is no
		 * evidence that TLS is missing (hard rule 2). */
		const char *state = json_string_value(json_object_get(addr, "state"));
		if (st != NULL && strcmp(st, "ok") != 0 && state && strcmp(state, "not_tested") == 0) {
			char why[600];
			snprintf(why, sizeof(why), "not checked: the address was not tested (%.500s)",
				 json_string_value(json_object_get(addr, "reason")) ?: "no reason given");
			json_object_set_new(addr, "dane", json_pack("{ss sn sn ss}", "state", "not_checked",
								     "matched_record", "depth", "reason",
								     why));
			continue;
		}
		if (st != NULL && strcmp(st, "ok") != 0) {
			json_t *ad = json_pack("{ss sn sn ss}", "state", "no_tls", "matched_record",
					       "depth", "reason", "STARTTLS did not succeed");
			char subject[320];
			snprintf(subject, sizeof(subject), "%.253s %.46s", host,
				 json_string_value(json_object_get(addr, "ip")) ?: "?");
			finding_add(ad, "dane.no_starttls", subject, "STARTTLS %s", st);
			json_object_set_new(addr, "dane", ad);
			continue;
		}
		json_t *tls = json_object_get(addr, "tls");
		STACK_OF(X509) *sk = chain_from_json(json_object_get(tls, "chain"));
		if (sk == NULL)
			continue;
		json_t *ad = verify(ctx, host, t, nt, sk);
		sk_X509_pop_free(sk, X509_free);
		verify_other_key_types(ctx, host, t, nt, tls, ad);
		json_object_set_new(addr, "dane", ad);
	}
	SSL_CTX_free(ctx);
	rollover_advice(d, host, t, nt, json_object_get(mx_host, "addresses"));
	dns_answer_free(a);
	free(t);
}
