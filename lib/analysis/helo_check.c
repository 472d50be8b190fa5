/*
 * helo_check.c - the client's HELO name and reverse DNS (see helo_check.h).
 */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/helo_check.h"
#include "base/netaddr.h"
#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"

/* address_literal - "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321
 * 4.1.3) parsed into a; 1 if it is one. */
static int address_literal(const char *helo, netaddr_t *a)
{
	size_t n = strlen(helo);
	if (n < 3 || helo[0] != '[' || helo[n - 1] != ']' || n > 60)
		return 0;
	char inner[64];
	snprintf(inner, sizeof(inner), "%.*s", (int)(n - 2), helo + 1);
	const char *ip = strncasecmp(inner, "IPv6:", 5) == 0 ? inner + 5 : inner;
	return netaddr_parse(ip, a) == 0;
}

static int same_addr(const netaddr_t *a, const netaddr_t *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

/* lookup - the A or AAAA addresses of name into arr; 1 some, 0 none, -1 DNS failed. */
static int lookup(const analysis_dns_t *dns, const char *name, int type, json_t *arr,
		  const netaddr_t *client, int *match)
{
	dns_answer_t *a = NULL;
	char err[256];
	if (dns->query(dns->arg, name, type, &a, err, sizeof(err)) != 0)
		return -1;
	/* an answer, NXDOMAIN or NODATA is a verdict; SERVFAIL or bogus is none */
	int rc = (a->outcome == DNS_OK || a->outcome == DNS_NXDOMAIN || a->outcome == DNS_NODATA) &&
		 a->dnssec != DNSSEC_BOGUS ? 0 : -1;
	for (size_t i = 0; rc == 0 && a->outcome == DNS_OK && i < a->count; i++) {
		netaddr_t x;
		memset(&x, 0, sizeof(x));
		if (type == ns_t_a && a->rdata[i].len == 4) {
			x.family = AF_INET;
			memcpy(x.bytes, a->rdata[i].data, 4);
		} else if (type == ns_t_aaaa && a->rdata[i].len == 16) {
			x.family = AF_INET6;
			memcpy(x.bytes, a->rdata[i].data, 16);
		} else {
			continue;
		}
		char s[NETADDR_STRLEN];
		netaddr_format(&x, s, sizeof(s));
		if (json_array_size(arr) < HELO_MAX_ADDRS)
			json_array_append_new(arr, json_string(s));
		if (client != NULL && same_addr(&x, client))
			*match = 1;
	}
	int some = a->outcome == DNS_OK && a->count > 0;
	dns_answer_free(a);
	return rc < 0 ? -1 : some;
}

json_t *helo_check(const analysis_dns_t *dns, const char *helo, const char *client_ip,
		   const char *client_name, const char *client_ptr, const netrange_list_t *allow)
{
	json_t *o = json_object();
	netaddr_t client, lit;
	int have_client = client_ip != NULL && netaddr_parse(client_ip, &client) == 0;
	const char *special = have_client ? netaddr_special_reason(&client) : NULL;
	if (special != NULL && allow != NULL && netrange_list_contains(allow, &client))
		special = NULL;
	record_set_text(o, "helo", helo);
	if (special != NULL) {
		char why[160];
		snprintf(why, sizeof(why), "the client's address is %s: no DNS checks", special);
		json_object_set_new(o, "not_checked", json_string(why));
		client_name = client_ptr = NULL;	/* no public reverse DNS to judge */
	}

	/* FCrDNS, as the MTA established it */
	int known_name = client_name && client_name[0] && strcmp(client_name, "unknown") != 0;
	int known_ptr = client_ptr && client_ptr[0] && strcmp(client_ptr, "unknown") != 0;
	record_set_text(o, "ptr", known_ptr ? client_ptr : NULL);
	json_object_set_new(o, "fcrdns", client_name == NULL ? json_null() : json_boolean(known_name));
	if (client_name != NULL && !known_name && have_client)
		finding_add(o, known_ptr ? "message.client.ptr_not_confirmed" : "message.client.no_ptr",
			    client_ip, known_ptr ? "PTR %s does not resolve back to the address" : "%s",
			    known_ptr ? client_ptr : "no PTR record");

	if (helo == NULL || helo[0] == '\0') {
		json_object_set_new(o, "fqdn", json_null());
		return o;
	}
	int is_lit = address_literal(helo, &lit);
	json_object_set_new(o, "address_literal", json_boolean(is_lit));
	if (is_lit) {
		/* RFC 5321 4.1.4: allowed, but it says nothing about the host */
		json_object_set_new(o, "fqdn", json_false());
		json_object_set_new(o, "matches_client", have_client ? json_boolean(same_addr(&lit, &client))
								     : json_null());
		if (have_client && !same_addr(&lit, &client))
			finding_add(o, "message.helo.mismatch", helo, "the literal is not the client's address %s",
				    client_ip);
		return o;
	}
	netaddr_t bare;
	int fqdn = text_host_name_ok(helo, 2, 0) && netaddr_parse(helo, &bare) != 0 &&
		   strcasecmp(helo, "localhost.localdomain") != 0;
	json_object_set_new(o, "fqdn", json_boolean(fqdn));
	if (!fqdn) {
		finding_add(o, "message.helo.not_fqdn", helo, NULL);
		return o;
	}
	if (special != NULL) {
		json_object_set_new(o, "resolves", json_null());
		json_object_set_new(o, "matches_client", json_null());
		return o;
	}
	json_t *addrs = json_array();
	int match = 0;
	int r4 = lookup(dns, helo, ns_t_a, addrs, have_client ? &client : NULL, &match);
	int r6 = lookup(dns, helo, ns_t_aaaa, addrs, have_client ? &client : NULL, &match);
	json_object_set_new(o, "addresses", addrs);
	int resolves = r4 > 0 || r6 > 0, failed = r4 < 0 || r6 < 0;
	if (!resolves && failed) {
		/* One lookup failed and the other found nothing: the failed one
		 * might have held the address, so there is no verdict. */
		json_object_set_new(o, "resolves", json_null());
		json_object_set_new(o, "matches_client", json_null());
		return o;
	}
	json_object_set_new(o, "resolves", json_boolean(resolves));
	/* The client's address may be behind the lookup that failed. */
	int unknown_match = !match && failed;
	json_object_set_new(o, "matches_client", have_client && resolves && !unknown_match
						 ? json_boolean(match) : json_null());
	if (!resolves)
		finding_add(o, "message.helo.unresolvable", helo, "no A or AAAA record");
	else if (have_client && !match && !unknown_match)
		finding_add(o, "message.helo.mismatch", helo, "resolves to other addresses than %s",
			    client_ip);
	return o;
}
