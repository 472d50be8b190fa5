/*
 * mx.c - MX and address lookups of the probe (see mx.h).
 *
 * Trusts the resolver's DNSSEC verdict, not the rdata: lengths are checked
 * before every read, names are decoded by dns_name_from_wire and made
 * printable before they reach the report.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"
#include "probe/mx.h"

#define RR_A 1
#define RR_MX 15
#define RR_AAAA 28

int mx_domain_ok(const char *name)
{
	size_t n = strlen(name), label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0 && !(i == n - 1 && n > 1))
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

static int host_cmp(const void *a, const void *b)
{
	const mx_host_t *x = a, *y = b;
	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* weaker - the less trustworthy of two DNSSEC verdicts. */
static dnssec_status_t weaker(dnssec_status_t a, dnssec_status_t b)
{
	if (a == DNSSEC_BOGUS || b == DNSSEC_BOGUS)
		return DNSSEC_BOGUS;
	if (a == DNSSEC_INSECURE || b == DNSSEC_INSECURE)
		return DNSSEC_INSECURE;
	return DNSSEC_SECURE;
}

static void add_host(mx_list_t *l, size_t *cap, const char *name, int pref)
{
	for (size_t i = 0; i < l->count; i++)
		if (strcmp(l->hosts[i].name, name) == 0) {
			if (pref < l->hosts[i].preference)
				l->hosts[i].preference = pref;
			l->duplicates++;
			return;
		}
	if (l->count == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		l->hosts = realloc(l->hosts, *cap * sizeof(*l->hosts));
		if (l->hosts == NULL)
			log_panic("mx_lookup: out of memory");
	}
	l->hosts[l->count].name = strdup(name);
	l->hosts[l->count].preference = pref;
	l->count++;
}

int mx_lookup(resolver_t *r, const char *domain, int max_mx, mx_list_t *out, char *err,
	      size_t errlen)
{
	dns_answer_t *a = NULL;
	size_t cap = 0, malformed = 0, null_records = 0;

	memset(out, 0, sizeof(*out));
	if (resolver_query(r, domain, RR_MX, &a, err, errlen) != 0)
		return -1;
	json_t *dns = json_object();
	json_t *records = json_array();
	json_object_set_new(dns, "outcome", json_string(dns_outcome_name(a->outcome)));
	json_object_set_new(dns, "dnssec", json_string(dnssec_status_name(a->dnssec)));
	record_set_text(dns, "why_bogus", a->why_bogus);
	/* a SERVFAIL of ours (the lookup timed out) is said as such */
	record_set_text(dns, "why_failed", a->why_failed);

	if (a->outcome == DNS_OK) {
		for (size_t i = 0; i < a->count; i++) {
			const dns_rdata_t *rd = &a->rdata[i];
			char name[256];
			if (rd->len < 3 ||
			    dns_name_from_wire(rd->data + 2, rd->len - 2, name, sizeof(name)) < 0) {
				malformed++;
				continue;
			}
			int pref = (rd->data[0] << 8) | rd->data[1];
			text_lower(name);
			if (json_array_size(records) < MX_RECORDS_MAX) {
				json_t *rec = json_object();
				json_object_set_new(rec, "preference", json_integer(pref));
				json_object_set_new(rec, "host", record_text(name[0] ? name : ".",
									     strlen(name[0] ? name : ".")));
				json_array_append_new(records, rec);
			}
			if (name[0] == '\0') {
				null_records++;
				continue;	/* "." is no host; see null MX below */
			}
			add_host(out, &cap, name, pref);
		}
		if (a->count == 1 && out->count == 0 && malformed == 0)
			out->null_mx = 1;
	} else if (a->outcome == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, so the domain is its own (implicit) MX. */
		char name[256];
		snprintf(name, sizeof(name), "%s", domain);
		size_t n = strlen(name);
		if (n > 1 && name[n - 1] == '.')
			name[n - 1] = '\0';
		text_lower(name);
		add_host(out, &cap, name, 0);
		out->implicit = 1;
	}
	if (out->count > 1)
		qsort(out->hosts, out->count, sizeof(*out->hosts), host_cmp);
	/* Beyond [probe] max_mx: named in the report, not probed. */
	json_t *skipped = json_array();
	if (max_mx > 0 && out->count > (size_t)max_mx) {
		for (size_t i = (size_t)max_mx; i < out->count; i++) {
			if (json_array_size(skipped) < MX_RECORDS_MAX)
				json_array_append_new(skipped, record_text(out->hosts[i].name,
									   strlen(out->hosts[i].name)));
			free(out->hosts[i].name);
		}
		finding_add(dns, "dns.mx.hosts_skipped", domain, "%zu of %zu MX hosts probed ([probe] "
			    "max_mx = %d); not probed from %s on", (size_t)max_mx, out->count, max_mx,
			    json_string_value(json_array_get(skipped, 0)) ?: "?");
		out->count = (size_t)max_mx;
	}
	json_object_set_new(dns, "skipped_hosts", skipped);
	json_object_set_new(dns, "records", records);
	json_object_set_new(dns, "implicit", json_boolean(out->implicit));
	json_object_set_new(dns, "null_mx", json_boolean(out->null_mx));
	json_object_set_new(dns, "malformed_records", json_integer((json_int_t)malformed));
	json_object_set_new(dns, "duplicate_hosts", json_integer((json_int_t)out->duplicates));
	if (malformed > 0)
		finding_add(dns, "dns.mx.malformed", domain, "%zu record(s) do not decode", malformed);
	if (out->duplicates > 0)
		finding_add(dns, "dns.mx.duplicate", domain, "%zu record(s) repeat a host",
			    out->duplicates);
	/* RFC 7505 3: the null MX must be the domain's only MX record. */
	if (null_records > 0 && a->count > 1)
		finding_add(dns, "dns.mx.null_with_others", domain, "'MX 0 .' among %zu MX records",
			    a->count);
	out->dns = dns;
	dns_answer_free(a);
	return 0;
}

void mx_list_free(mx_list_t *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		free(l->hosts[i].name);
	free(l->hosts);
	json_decref(l->dns);
	memset(l, 0, sizeof(*l));
}

int mx_addresses(resolver_t *r, const char *host, mx_addrs_t *out, char *err, size_t errlen)
{
	static const struct { int type; int family; size_t len; const char *name; } q[] = {
		{ RR_A, AF_INET, 4, "A" },
		{ RR_AAAA, AF_INET6, 16, "AAAA" },
	};
	size_t o = 0;

	memset(out, 0, sizeof(*out));
	out->dnssec = DNSSEC_SECURE;
	for (size_t k = 0; k < 2; k++) {
		dns_answer_t *a = NULL;
		size_t kept = 0;
		if (resolver_query(r, host, q[k].type, &a, err, errlen) != 0)
			return -1;
		out->dnssec = weaker(out->dnssec, a->dnssec);
		/* An alias: the answer's canonical name is not the name asked. */
		if (a->canonname != NULL && out->cname[0] == '\0') {
			char c[256], h[256];
			snprintf(c, sizeof(c), "%s", a->canonname);
			snprintf(h, sizeof(h), "%s", host);
			size_t cn = strlen(c), hn = strlen(h);
			if (cn > 1 && c[cn - 1] == '.')
				c[cn - 1] = '\0';
			if (hn > 1 && h[hn - 1] == '.')
				h[hn - 1] = '\0';
			if (strcasecmp(c, h) != 0)
				snprintf(out->cname, sizeof(out->cname), "%s", text_lower(c));
		}
		if (a->outcome == DNS_OK) {
			for (size_t i = 0; i < a->count && kept < MX_ADDRESSES_MAX; i++) {
				if (a->rdata[i].len != q[k].len)
					continue;
				netaddr_t *na = &out->addrs[out->count++];
				memset(na, 0, sizeof(*na));
				na->family = q[k].family;
				memcpy(na->bytes, a->rdata[i].data, q[k].len);
				kept++;
			}
		}
		if (a->outcome != DNS_OK || kept == 0) {
			if (o < sizeof(out->problem))
				o += (size_t)snprintf(out->problem + o, sizeof(out->problem) - o,
						      "%s%s: %s", o ? ", " : "", q[k].name,
						      a->dnssec == DNSSEC_BOGUS ? "bogus" :
						      dns_outcome_name(a->outcome));
		}
		dns_answer_free(a);
	}
	if (out->count > 0)
		out->problem[0] = '\0';
	return 0;
}

int mx_ip_literal(const char *name)
{
	int labels = 0, digits = 0;
	for (const char *p = name; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (digits == 0 || digits > 3)
				return 0;
			labels++;
			digits = 0;
			if (*p == '\0' || (p[1] == '\0'))
				break;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return 0;
		digits++;
	}
	return labels == 4;
}

void mx_host_assess(json_t *ho, const char *name, const mx_addrs_t *addrs)
{
	record_set_text(ho, "cname", addrs->cname[0] ? addrs->cname : NULL);
	if (addrs->cname[0])
		finding_add(ho, "dns.mx.cname", name, "%s is an alias of %s", name, addrs->cname);
	if (mx_ip_literal(name))
		finding_add(ho, "dns.mx.ip_literal", name, "the MX target %s is an IP address", name);
	else if (addrs->count == 0)
		finding_add(ho, "dns.mx.unresolvable", name, "%s",
			    addrs->dnssec == DNSSEC_BOGUS ? "bogus" : addrs->problem);
}
