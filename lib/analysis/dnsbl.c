/*
 * dnsbl.c - DNS blocklist lookups of the client address (see dnsbl.h).
 * Names are built from the parsed address (reversed octets or nibbles),
 * never from outside text; zone names come from the config.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dnsbl.h"
#include "mail/finding.h"
#include "mail/record.h"

/* reversed - "2.100.51.198" or the 32 nibbles of an IPv6 address. */
static int reversed(const char *ip, char *out, size_t len)
{
	unsigned char a[16];
	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, len, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) == 1 && len >= 65) {
		size_t o = 0;
		for (int i = 15; i >= 0; i--) {
			o += (size_t)snprintf(out + o, len - o, "%x.%x%s", a[i] & 0xf, a[i] >> 4,
					      i ? "." : "");
		}
		return 0;
	}
	return -1;
}

/* txt_of - the first TXT string at name, or NULL (malloc'd). */
static char *txt_of(const analysis_dns_t *dns, const char *name)
{
	dns_answer_t *a = NULL;
	char err[128];
	char *out = NULL;
	if (dns->query(dns->arg, name, ns_t_txt, &a, err, sizeof(err)) != 0 || a == NULL)
		return NULL;
	if (a->outcome == DNS_OK && a->count > 0 && a->rdata[0].len > 1) {
		size_t n = a->rdata[0].data[0];
		if (n > a->rdata[0].len - 1)
			n = a->rdata[0].len - 1;
		out = strndup((const char *)a->rdata[0].data + 1, n);
	}
	dns_answer_free(a);
	return out;
}

/* check_one - one list; the entry object. */
static json_t *check_one(const analysis_dns_t *dns, const char *rev, const char *zone)
{
	json_t *o = json_object();
	record_set_text(o, "zone", zone);
	char name[600], err[256];
	if (snprintf(name, sizeof(name), "%s.%s", rev, zone) >= (int)sizeof(name)) {
		json_object_set_new(o, "state", json_string("not_tested"));
		json_object_set_new(o, "why_not_tested", json_string("name too long"));
		return o;
	}
	dns_answer_t *a = NULL;
	const char *state = "not_tested", *why = NULL;
	json_t *codes = json_array();
	if (dns->query(dns->arg, name, ns_t_a, &a, err, sizeof(err)) != 0 || a == NULL) {
		why = "DNS lookup failed";
	} else if (a->dnssec == DNSSEC_BOGUS) {
		why = "DNSSEC validation failed (bogus)";
	} else if (a->outcome == DNS_NXDOMAIN || a->outcome == DNS_NODATA) {
		state = "not_listed";
	} else if (a->outcome != DNS_OK) {
		why = "the list's servers did not answer";
	} else {
		int listed = 0, refused = 0, foreign = 0;
		for (size_t i = 0; i < a->count; i++) {
			const unsigned char *d = a->rdata[i].data;
			if (a->rdata[i].len != 4)
				continue;
			char ip[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, d, ip, sizeof(ip));
			json_array_append_new(codes, json_string(ip));
			if (d[0] != 127)
				foreign = 1;
			else if ((d[1] == 255 && d[2] == 255) || (d[1] == 0 && d[2] == 0 && d[3] == 1))
				refused = 1;
			else
				listed = 1;
		}
		if (refused) {
			why = "the list refused the query (an error code such as 127.255.255.254: "
			      "public resolver or over quota)";
		} else if (foreign) {
			why = "answer outside 127.0.0.0/8 (a resolver that rewrites NXDOMAIN?)";
		} else if (listed) {
			state = "listed";
			char *t = txt_of(dns, name);
			record_set_text(o, "reason", t);
			free(t);
		} else {
			state = "not_listed";
		}
	}
	dns_answer_free(a);
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "codes", codes);
	if (why)
		json_object_set_new(o, "why_not_tested", json_string(why));
	return o;
}

json_t *dnsbl_check(const analysis_dns_t *dns, const char *client_ip, const char *zones,
		    const netrange_list_t *allow)
{
	json_t *arr = json_array();
	char rev[80];
	if (client_ip == NULL || zones == NULL || reversed(client_ip, rev, sizeof(rev)) != 0)
		return arr;
	netaddr_t addr;
	const char *special = NULL;
	if (netaddr_parse(client_ip, &addr) == 0 && (special = netaddr_special_reason(&addr)) != NULL &&
	    allow != NULL && netrange_list_contains(allow, &addr))
		special = NULL;
	char *copy = strdup(zones), *save = NULL;
	int n = 0;
	for (char *z = strtok_r(copy, " ,\t", &save); z && n < DNSBL_MAX_LISTS;
	     z = strtok_r(NULL, " ,\t", &save), n++) {
		json_t *o;
		if (special != NULL) {
			char why[160];
			snprintf(why, sizeof(why), "the client's address is %s: on no public list", special);
			o = json_object();
			record_set_text(o, "zone", z);
			json_object_set_new(o, "state", json_string("not_tested"));
			json_object_set_new(o, "codes", json_array());
			json_object_set_new(o, "why_not_tested", json_string(why));
			json_array_append_new(arr, o);
			continue;
		}
		o = check_one(dns, rev, z);
		if (strcmp(json_string_value(json_object_get(o, "state")), "listed") == 0)
			finding_add(o, "message.dnsbl.listed", client_ip, "on %s: %s", z,
				    json_string_value(json_object_get(o, "reason")) ?: "no reason given");
		json_array_append_new(arr, o);
	}
	free(copy);
	return arr;
}
