/*
 * dmarc.h - DMARC (RFC 7489) evaluated by mxray itself, with libpsl for
 * organizational domains (libopendmarc 1.4.2 gives false passes in strict
 * mode and for public suffixes).
 *
 * dmarc_lookup finds and parses the policy that governs a domain:
 * _dmarc.<domain>, else _dmarc.<organizational domain>; several records
 * at a name end discovery there (RFC 7489 6.6.3). dmarc_evaluate adds the
 * alignment of the message's SPF result and of each DKIM signature with
 * its RFC5322.From domain (address_author_domain), the DMARC result
 * (temperror when an aligned check failed temporarily and nothing aligned
 * passed) and the policy a receiver applies (p=, sp=, or np= of RFC 9091
 * for a subdomain that does not exist). All DNS goes through
 * analysis_dns_t; a bogus or failed lookup is a temperror, never "none".
 */
#ifndef MXRAY_ANALYSIS_DMARC_H
#define MXRAY_ANALYSIS_DMARC_H

#include <jansson.h>
#include "analysis/analysis_dns.h"

/* dmarc_org_domain - the organizational (registrable) domain of domain,
 * lowercase, malloc'd; the domain itself when it is a public suffix. */
char *dmarc_org_domain(const char *domain);
/* dmarc_aligned - 1 if a is aligned with b (relaxed: same organizational
 * domain; strict: the same name), case-insensitive. */
int dmarc_aligned(const char *a, const char *b, int strict);
/* dmarc_parse - the tags of one record into obj (policy, adkim ...);
 * returns 0, or -1 with the syntax problem in obj["problems"]. */
int dmarc_parse(const char *record, json_t *obj);
/* dmarc_lookup - {"domain","found","record","record_domain","dnssec",
 * "policy","subdomain_policy","adkim","aspf","pct","rua","ruf","fo",
 * "problems","outcome"}: outcome is "found", "none" or "temperror". */
json_t *dmarc_lookup(const analysis_dns_t *dns, const char *domain);
/* dmarc_evaluate - the "dmarc" object for a message: dmarc_lookup of the
 * From domain plus spf_aligned, spf_alignment, dkim_aligned,
 * dkim_signatures, result (pass, fail, none, temperror, permerror),
 * reason, applied_policy and from_domain_exists (docs/report-format.md).
 * message is the report's "message" object. Without one From domain:
 * result permerror, domain null, the reason. */
json_t *dmarc_evaluate(const analysis_dns_t *dns, const json_t *message);

#endif
