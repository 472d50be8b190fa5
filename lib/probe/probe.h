/*
 * probe.h - the inbound probe of a domain: its MX records (DNSSEC-
 * validated) and every address of every MX host, each probed over SMTP
 * and STARTTLS. The result is the "dns" and "mx" parts of the report
 * (docs/report-format.md).
 *
 * The addresses are probed in parallel (up to 8 at once), each within
 * [probe] connections_per_address connections (conn_limit.h, DESIGN.md
 * hard rule 2), and each address's TLS scan starts once its STARTTLS
 * worked; the records that need no probe result are looked up meanwhile.
 * [probe] job_deadline bounds the whole walk: addresses not reached in
 * time are "not_tested" with reason "job deadline reached". An address's
 * result is reused for [probe] reuse_results (addr_cache.h, across
 * workers through Redis). Besides SMTP and TLS: PTR and forward confirmation of
 * each address (ptr.h), CNAME/IP-literal/unresolvable MX names (mx.h),
 * CAA of each MX host (caa.h), DANE (dane.h), and the domain's MTA-STS
 * (mta_sts.h) and TLS-RPT (tlsrpt.h) into dns.mta_sts and dns.tls_rpt.
 */
#ifndef MXRAY_PROBE_PROBE_H
#define MXRAY_PROBE_PROBE_H

#include <stddef.h>
#include <jansson.h>
#include "mail/config.h"
#include "mail/resolver.h"

/* probe_domain - {"dns": {"mx": ...}, "mx": [...]} for domain (new
 * reference); NULL with err when no report can be made (the resolver
 * failed, the CA file is unreadable, the domain is not a DNS name). */
json_t *probe_domain(const mxray_config_t *cfg, resolver_t *r, const char *domain, char *err,
		     size_t errlen);

/* probe_job_problem - why a job (docs/report-format.md) can never be probed,
 * or NULL: not a format-1 object, no "domain" that is a DNS name, a
 * "message" that is not an object, a "reply_to" neither string nor null.
 * The reason is a static string or written into buf (len bytes). */
const char *probe_job_problem(const json_t *job, char *buf, size_t len);

/* probe_count_tested - how many addresses of a probe_domain result were
 * "tested" (for log lines). */
size_t probe_count_tested(const json_t *probe, size_t *total);

#endif
