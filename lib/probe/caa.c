/*
 * caa.c - CAA lookup by tree climbing (see caa.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/record.h"
#include "probe/caa.h"

#define RR_CAA 257

json_t *caa_parse_rdata(const unsigned char *p, size_t n)
{
	/* flags(1) tag-length(1) tag value */
	if (n < 2 || p[1] == 0 || p[1] > 15 || (size_t)p[1] + 2 > n)
		return NULL;
	size_t tl = p[1];
	for (size_t i = 0; i < tl; i++) {
		unsigned char c = p[2 + i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			return NULL;
	}
	json_t *o = json_object();
	json_object_set_new(o, "flags", json_integer(p[0]));
	json_object_set_new(o, "critical", json_boolean(p[0] & 0x80));
	json_object_set_new(o, "tag", record_text((const char *)p + 2, tl));
	json_object_set_new(o, "value", record_text((const char *)p + 2 + tl, n - 2 - tl));
	return o;
}

json_t *caa_check(resolver_t *r, const char *host)
{
	json_t *o = json_object();
	const char *name = host;
	char err[256];
	const char *outcome = "none";
	size_t malformed = 0;
	json_t *records = json_array(), *issuers = json_array();

	/* RFC 8659 3: climb until an RRset is found; never ask the TLD. */
	while (name != NULL && strchr(name, '.') != NULL) {
		dns_answer_t *a = NULL;
		if (resolver_query(r, name, RR_CAA, &a, err, sizeof(err)) != 0) {
			outcome = "temperror";
			break;
		}
		if (a->dnssec == DNSSEC_BOGUS || a->outcome == DNS_SERVFAIL) {
			outcome = a->dnssec == DNSSEC_BOGUS ? "bogus" : "temperror";
			record_set_text(o, "name", name);
			dns_answer_free(a);
			break;
		}
		if (a->outcome == DNS_OK && a->count > 0) {
			outcome = "found";
			record_set_text(o, "name", name);
			json_object_set_new(o, "dnssec", json_string(dnssec_status_name(a->dnssec)));
			for (size_t i = 0; i < a->count && json_array_size(records) < CAA_RECORDS_MAX; i++) {
				json_t *rec = caa_parse_rdata(a->rdata[i].data, a->rdata[i].len);
				if (rec == NULL) {
					malformed++;
					continue;
				}
				const char *tag = json_string_value(json_object_get(rec, "tag"));
				if (tag && strcasecmp(tag, "issue") == 0)
					json_array_append(issuers, json_object_get(rec, "value"));
				json_array_append_new(records, rec);
			}
			dns_answer_free(a);
			break;
		}
		dns_answer_free(a);
		name = strchr(name, '.') + 1;
	}
	json_object_set_new(o, "outcome", json_string(outcome));
	if (json_object_get(o, "name") == NULL)
		json_object_set_new(o, "name", json_null());
	json_object_set_new(o, "records", records);
	json_object_set_new(o, "malformed", json_integer((json_int_t)malformed));
	json_object_set_new(o, "issuers", issuers);
	return o;
}
