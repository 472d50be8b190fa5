/*
 * dane.c - TLSA lookup and matching (see dane.h).
 *
 * Trusts the validator for the DNSSEC status and nothing in the records:
 * rdata shorter than 3 bytes, unknown parameters and hash lengths that do
 * not fit are reported as problems, never matched.
 */
#include <stdio.h>
#include <string.h>

#include "mail/record.h"
#include "probe/dane.h"

#define TLSA_TYPE 52
#define TLSA_HEX_MAX 256	/* SHA-512 is 128 hex digits */

static const char *usage_name(int u)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };
	return u >= 0 && u <= 3 ? names[u] : "unknown";
}

/* hash_key - the chain hash a (selector, matching type) pair compares with. */
static const char *hash_key(int selector, int mtype)
{
	if (selector == 0 && mtype == 1) return "cert_sha256";
	if (selector == 0 && mtype == 2) return "cert_sha512";
	if (selector == 1 && mtype == 1) return "spki_sha256";
	if (selector == 1 && mtype == 2) return "spki_sha512";
	return NULL;
}

/* record_matches - 1 if the TLSA record matches the chain of an address:
 * DANE-EE against the leaf, DANE-TA against any certificate above it. */
static int record_matches(const json_t *rec, const json_t *chain)
{
	int usage = (int)json_integer_value(json_object_get(rec, "usage"));
	const char *key = hash_key((int)json_integer_value(json_object_get(rec, "selector")),
				   (int)json_integer_value(json_object_get(rec, "matching_type")));
	const char *data = json_string_value(json_object_get(rec, "data"));
	if (key == NULL || data == NULL || (usage != 2 && usage != 3))
		return 0;
	size_t i;
	json_t *cert;
	json_array_foreach(chain, i, cert) {
		if ((usage == 3 && i != 0) || (usage == 2 && i == 0))
			continue;
		const char *h = json_string_value(json_object_get(json_object_get(cert, "hashes"), key));
		if (h && strcasecmp(h, data) == 0)
			return 1;
	}
	return 0;
}

void dane_check_mx(const mxray_config_t *cfg, resolver_t *r, json_t *mx_host)
{
	const char *host = json_string_value(json_object_get(mx_host, "host"));
	if (host == NULL)
		return;
	char name[300], err[256];
	snprintf(name, sizeof(name), "_%d._tcp.%s", cfg->smtp_port, host);
	json_t *d = json_object();
	record_set_text(d, "tlsa_name", name);
	json_t *records = json_array(), *problems = json_array();
	dns_answer_t *a = NULL;
	const char *outcome;
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
		for (size_t i = 0; a->outcome == DNS_OK && i < a->count; i++) {
			const unsigned char *p = a->rdata[i].data;
			size_t n = a->rdata[i].len;
			if (n < 4 || 2 * (n - 3) > TLSA_HEX_MAX) {
				char msg[80];
				snprintf(msg, sizeof(msg), "TLSA record %zu has %zu bytes of rdata", i + 1, n);
				json_array_append_new(problems, json_string(msg));
				continue;
			}
			char hex[TLSA_HEX_MAX + 1];
			for (size_t k = 3; k < n; k++)
				snprintf(hex + 2 * (k - 3), 3, "%02x", p[k]);
			json_t *rec = json_pack("{si si si ss ss}", "usage", p[0], "selector", p[1],
						"matching_type", p[2], "usage_name", usage_name(p[0]),
						"data", hex);
			json_object_set_new(rec, "usable", json_boolean((p[0] == 2 || p[0] == 3) &&
									hash_key(p[1], p[2]) != NULL));
			json_array_append_new(records, rec);
		}
	}
	if (a)
		dns_answer_free(a);
	json_object_set_new(d, "outcome", json_string(outcome));
	json_object_set_new(d, "records", records);
	json_object_set_new(d, "problems", problems);

	int usable = 0;
	size_t i;
	json_t *rec;
	json_array_foreach(records, i, rec)
		usable += json_is_true(json_object_get(rec, "usable"));
	json_object_set_new(d, "usable_records", json_integer(usable));
	json_object_set_new(mx_host, "dane", d);
	if (strcmp(outcome, "secure") != 0 || usable == 0)
		return;

	/* Secure and usable: each address must present a matching chain. */
	json_t *addr;
	json_array_foreach(json_object_get(mx_host, "addresses"), i, addr) {
		json_t *chain = json_object_get(json_object_get(addr, "tls"), "chain");
		if (!json_is_array(chain) || json_array_size(chain) == 0)
			continue;
		int matched = -1;
		size_t k;
		json_array_foreach(records, k, rec)
			if (matched < 0 && record_matches(rec, chain))
				matched = (int)k;
		json_t *ad = json_object();
		json_object_set_new(ad, "state", json_string(matched >= 0 ? "valid" : "mismatch"));
		json_object_set_new(ad, "matched_record", matched >= 0 ? json_integer(matched) : json_null());
		json_object_set_new(addr, "dane", ad);
	}
}
