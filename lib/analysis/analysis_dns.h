/*
 * analysis_dns.h - where the message checks (DKIM, SPF) get their DNS.
 *
 * In production this is mxray's one resolver (mail/resolver.h, DNSSEC-
 * validating, never /etc/resolv.conf). The indirection exists so unit tests
 * can hand the checks crafted answers (bogus, SERVFAIL, odd records)
 * without a DNS server; it is not a second resolver.
 * The query function must be safe to call from many threads at once.
 */
#ifndef MXRAY_ANALYSIS_DNS_H
#define MXRAY_ANALYSIS_DNS_H

#include <stddef.h>
#include "mail/resolver.h"

typedef struct analysis_dns {
	/* Same contract as resolver_query: 0 with *out (free it with
	 * dns_answer_free), -1 with err when the lookup could not be made. */
	int (*query)(void *arg, const char *name, int rrtype, dns_answer_t **out,
		     char *err, size_t errlen);
	void *arg;
} analysis_dns_t;

/* analysis_dns_resolver - the production source: queries go to r. */
analysis_dns_t analysis_dns_resolver(resolver_t *r);

#endif
