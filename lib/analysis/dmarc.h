/*
 * dmarc.h - DMARC (RFC 7489) evaluated by mxray itself, with libpsl for
 * organizational domains (libopendmarc 1.4.2 gives false passes in strict
 * mode and for public suffixes).
 *
 * dmarc_lookup finds and parses the policy that governs a domain:
 * _dmarc.<domain>, else _dmarc.<organizational domain>. dmarc_evaluate
 * adds the alignment of the message's SPF and DKIM results with its
 * RFC5322.From domain, and the DMARC result. All DNS goes through
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
 * From domain plus spf_aligned, dkim_aligned, result (pass, fail, none,
 * temperror, permerror) and applied_policy. message is the report's
 * "message" object. NULL when the message has no usable From domain. */
json_t *dmarc_evaluate(const analysis_dns_t *dns, const json_t *message);

/* dmarc_add_to_report - the probed domain's policy as report.dns.dmarc
 * and, when the report has a message, its evaluation as message.dmarc. */
void dmarc_add_to_report(const analysis_dns_t *dns, json_t *report);

#endif
