/*
 * analysis_dns.c - the production DNS source of the message checks.
 */
#include "analysis/analysis_dns.h"

static int analysis_dns_query(void *arg, const char *name, int rrtype, dns_answer_t **out,
			      char *err, size_t errlen)
{
	return resolver_query(arg, name, rrtype, out, err, errlen);
}

analysis_dns_t analysis_dns_resolver(resolver_t *r)
{
	analysis_dns_t d = { analysis_dns_query, r };
	return d;
}
