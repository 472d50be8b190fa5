/*
 * spf_policy.h - the domain's own SPF policy, for the report's dns part
 * (docs/report-format.md, dns.spf), with or without a test mail.
 *
 * The record is evaluated, in the SPF sandbox (spf_sandbox.h), for an
 * address no sane record lists (SPF_POLICY_UNLISTED, in TEST-NET-3), so
 * every term up to the final all is walked: the DNS lookups and void
 * lookups are counted against RFC 7208 4.6.4's limits, syntax errors and
 * several records show as an invalid policy, and what the record tells an
 * address it does not name (fail, softfail, neutral, or pass: anyone may
 * send) is the policy's strength.
 */
#ifndef MXRAY_ANALYSIS_SPF_POLICY_H
#define MXRAY_ANALYSIS_SPF_POLICY_H

#include <jansson.h>
#include "analysis/spf_sandbox.h"

#define SPF_POLICY_UNLISTED "203.0.113.254"

/* spf_policy_check - dns.spf for domain (new reference), never NULL. */
json_t *spf_policy_check(spf_sandbox_t *sb, const char *domain);

#endif
