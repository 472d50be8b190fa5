/*
 * mx.h - a domain's mail exchangers and their addresses, from DNS.
 *
 * Everything goes through resolver.h (DNSSEC-validated). MX rdata is
 * hostile: a record that does not parse is skipped and counted, never
 * guessed at. RFC 5321 5.1: no MX records (NODATA) means the domain itself
 * is the implicit MX; RFC 7505: a single MX "." (null MX) means the domain
 * accepts no mail, and "." next to other records is a finding (RFC 7505
 * 3), the other hosts still probed. Hosts are ordered by preference; at most max_mx are
 * returned for probing (all records still appear in the report; the
 * hosts cut are dns.mx.skipped_hosts, with the finding dns.mx.hosts_skipped).
 */
#ifndef MXRAY_PROBE_MX_H
#define MXRAY_PROBE_MX_H

#include <stddef.h>
#include <jansson.h>
#include "base/netaddr.h"
#include "mail/resolver.h"

#define MX_RECORDS_MAX 100		/* MX records kept in a report */
#define MX_ADDRESSES_MAX 16		/* addresses per family kept per host */

typedef struct mx_host {
	char *name;			/* dotted, lowercase, no final dot */
	int preference;
} mx_host_t;

typedef struct mx_list {
	mx_host_t *hosts;		/* by preference, at most max_mx */
	size_t count;
	int implicit;			/* no MX: the domain itself */
	int null_mx;			/* RFC 7505 "MX 0 ." */
	size_t duplicates;		/* records naming a host already listed */
	json_t *dns;			/* the report's dns.mx object (owned) */
} mx_list_t;

/* mx_lookup - MX of domain into out; -1 with err only if the resolver itself
 * failed. NXDOMAIN, SERVFAIL and bogus answers are results in out->dns. */
int mx_lookup(resolver_t *r, const char *domain, int max_mx, mx_list_t *out, char *err,
	      size_t errlen);
void mx_list_free(mx_list_t *l);

/* One host's addresses. */
typedef struct mx_addrs {
	netaddr_t addrs[2 * MX_ADDRESSES_MAX];
	size_t count;
	dnssec_status_t dnssec;		/* the weaker of the A and AAAA answers */
	char problem[160];		/* "" or why no address was found */
	char cname[256];		/* "" or the canonical name host is an alias of */
} mx_addrs_t;

/* mx_addresses - A then AAAA of host; -1 with err if the resolver failed. */
int mx_addresses(resolver_t *r, const char *host, mx_addrs_t *out, char *err, size_t errlen);

/* mx_host_assess - the host-level facts and findings of one MX host
 * object of the report: "cname" (RFC 2181 10.3), an IP literal as the
 * name, no address at all. */
void mx_host_assess(json_t *host_obj, const char *name, const mx_addrs_t *addrs);
/* mx_ip_literal - 1 if name is a dotted IPv4 address written as a name. */
int mx_ip_literal(const char *name);

/* mx_domain_ok - 1 if name looks like a DNS name (LDH labels, dots, '_'). */
int mx_domain_ok(const char *name);

#endif
