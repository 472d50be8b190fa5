/*
 * mta_sts.h - MTA-STS (RFC 8461): the _mta-sts TXT record, the policy
 * fetched over HTTPS, and each MX host checked against it.
 *
 * The policy host mta-sts.<domain> is resolved through mxray's resolver,
 * never by libcurl: the address is pinned with CURLOPT_RESOLVE after the
 * abuse guard accepted it (the check applies to the exact address
 * connected to); when an address cannot be reached at all the next one
 * is tried. The fetch verifies the certificate against [probe]
 * ca_file only, follows no redirect (RFC 8461 3.3), speaks only HTTPS,
 * ignores proxy variables, reads at most MTA_STS_POLICY_MAX bytes and ends
 * within the probe's timeouts and the job deadline.
 *
 * The policy is hostile text: it is parsed strictly, every violation is a
 * problem naming the line and quoting it made printable, and the parsed
 * fields reach the report only when the whole policy is valid (an invalid
 * policy is no policy to a sender, RFC 8461 3.2).
 */
#ifndef MXRAY_PROBE_MTA_STS_H
#define MXRAY_PROBE_MTA_STS_H

#include <stddef.h>
#include <jansson.h>
#include "mail/config.h"
#include "mail/resolver.h"

#define MTA_STS_POLICY_MAX (64 * 1024)	/* bytes of policy read, RFC 8461 3.3 */
#define MTA_STS_MX_MAX 64		/* mx patterns kept */

/* mta_sts_record_is_sts - 1 if a TXT record of _mta-sts is an MTA-STS
 * record at all (RFC 8461 3.1: it starts with the whole field v=STSv1;
 * others, "v=STSv10" among them, are ignored). */
int mta_sts_record_is_sts(const char *txt, size_t len);

/* mta_sts_record_parse - a "v=STSv1; id=..." record: 0 with the id in
 * id/idlen, -1 with the problem in problem/plen (printable). */
int mta_sts_record_parse(const char *txt, size_t len, char *id, size_t idlen, char *problem,
			 size_t plen);

/* mta_sts_policy_parse - the policy text as JSON (new reference):
 * {"valid": bool, "version", "mode", "max_age", "mx": [...], "problems": [...]};
 * fields not found are null. */
json_t *mta_sts_policy_parse(const char *text, size_t len);

/* mta_sts_mx_match - 1 if host matches pattern (RFC 8461 4.1: case-
 * insensitive; "*." matches exactly one leftmost label). */
int mta_sts_mx_match(const char *pattern, const char *host);

/* mta_sts_check - the report's dns.mta_sts for domain (new reference);
 * marks each host of hosts (the report's "mx" array, already probed) with
 * "mta_sts": {"mx_match", "pattern"} and adds the findings. Never fails:
 * a lookup or fetch that did not work is an outcome with a reason. */
json_t *mta_sts_check(const mxray_config_t *cfg, resolver_t *r, const char *domain,
		      json_t *hosts, long long job_deadline);

#endif
