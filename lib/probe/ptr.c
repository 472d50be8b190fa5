/*
 * ptr.c - PTR lookup and forward confirmation (see ptr.h).
 */
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"
#include "probe/mx.h"
#include "probe/ptr.h"

#define RR_PTR 12

void ptr_reverse_name(const netaddr_t *a, char *out, size_t outlen)
{
	if (a->family == AF_INET) {
		snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa", a->bytes[3], a->bytes[2],
			 a->bytes[1], a->bytes[0]);
		return;
	}
	size_t o = 0;
	static const char hx[] = "0123456789abcdef";
	for (int i = 15; i >= 0 && o + 4 < outlen; i--) {
		out[o++] = hx[a->bytes[i] & 0xf];
		out[o++] = '.';
		out[o++] = hx[a->bytes[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, outlen - o, "ip6.arpa");
}

json_t *ptr_check(resolver_t *r, const netaddr_t *a, const char *host)
{
	char rev[80], err[256], ip[NETADDR_STRLEN], subject[320];
	json_t *o = json_object(), *names = json_array();
	dns_answer_t *ans = NULL;
	int confirmed = 0;

	netaddr_format(a, ip, sizeof(ip));
	snprintf(subject, sizeof(subject), "%.253s %s", host, ip);
	ptr_reverse_name(a, rev, sizeof(rev));
	json_object_set_new(o, "name", json_string(rev));
	if (resolver_query(r, rev, RR_PTR, &ans, err, sizeof(err)) != 0) {
		json_object_set_new(o, "outcome", json_string("temperror"));
		json_object_set_new(o, "names", names);
		json_object_set_new(o, "forward_confirmed", json_null());
		return o;
	}
	json_object_set_new(o, "outcome", json_string(ans->dnssec == DNSSEC_BOGUS ? "bogus" :
						      dns_outcome_name(ans->outcome)));
	json_object_set_new(o, "dnssec", json_string(dnssec_status_name(ans->dnssec)));
	for (size_t i = 0; ans->outcome == DNS_OK && ans->dnssec != DNSSEC_BOGUS && i < ans->count &&
			   json_array_size(names) < PTR_NAMES_MAX; i++) {
		char name[256];
		if (dns_name_from_wire(ans->rdata[i].data, ans->rdata[i].len, name, sizeof(name)) < 0 ||
		    name[0] == '\0')
			continue;
		text_lower(name);
		json_array_append_new(names, record_text(name, strlen(name)));
		mx_addrs_t fwd;
		if (confirmed || !mx_domain_ok(name) || mx_addresses(r, name, &fwd, err, sizeof(err)) != 0)
			continue;
		for (size_t k = 0; k < fwd.count && fwd.dnssec != DNSSEC_BOGUS; k++)
			if (fwd.addrs[k].family == a->family &&
			    memcmp(fwd.addrs[k].bytes, a->bytes, a->family == AF_INET ? 4 : 16) == 0)
				confirmed = 1;
	}
	dns_answer_free(ans);
	json_object_set_new(o, "names", names);
	json_object_set_new(o, "forward_confirmed", json_boolean(confirmed));
	if (json_array_size(names) == 0)
		finding_add(o, "dns.ptr.missing", subject, "no PTR record at %s", rev);
	else if (!confirmed)
		finding_add(o, "dns.ptr.not_confirmed", subject, "%s does not resolve back to the address",
			    json_string_value(json_array_get(names, 0)));
	return o;
}
