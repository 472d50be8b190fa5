/*
 * domain_policy.h - the sender domain's own policies for the report's dns
 * part, DMARC (dns.dmarc) and SPF (dns.spf), looked up on a thread of
 * their own while the domain's servers are probed, and the test
 * message's DMARC verdict (message.dmarc) once the report is assembled.
 *
 * Why a thread: on a slow link every lookup is a round trip or several,
 * and none of these needs the probe's results.
 */
#ifndef MXRAY_ANALYSIS_DOMAIN_POLICY_H
#define MXRAY_ANALYSIS_DOMAIN_POLICY_H

#include <jansson.h>
#include "analysis/analysis_dns.h"
#include "analysis/spf_sandbox.h"

typedef struct domain_policy domain_policy_t;

/* domain_policy_start - begin the lookups for domain (copied). dns must
 * stay valid until domain_policy_finish; sb may be NULL (no dns.spf).
 * Never fails: without a thread the lookups run in finish. */
domain_policy_t *domain_policy_start(const analysis_dns_t *dns, spf_sandbox_t *sb,
				     const char *domain);
/* domain_policy_finish - wait for them and put them into report: dns.dmarc
 * and dns.spf when the report has a "dns" object, and message.dmarc when
 * it has a "message". Frees p; NULL p adds only message.dmarc (dns may
 * then not be NULL). */
void domain_policy_finish(domain_policy_t *p, const analysis_dns_t *dns, json_t *report);

#endif
