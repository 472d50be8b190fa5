/*
 * headers.h - the header fields mxray reads beyond the path: how many
 * mailboxes an address field holds (RFC 5322 3.6.2: exactly one From),
 * upstream Authentication-Results (RFC 8601) and ARC sets (RFC 8617).
 *
 * Authentication-Results and ARC are shown as information only: any hop
 * (or the sender itself) can write them, mxray verifies no ARC signature,
 * and none of it counts toward a verdict. Every value is outside text:
 * parsed bounded (comments and quoted strings skipped, at most
 * HEADERS_MAX_RESULTS results per field) and entering JSON only through
 * record_text; a field whose shape is not recognized is kept raw with
 * "parsed": false, never dropped.
 */
#ifndef MXRAY_ANALYSIS_HEADERS_H
#define MXRAY_ANALYSIS_HEADERS_H

#include <jansson.h>

#define HEADERS_MAX_RESULTS 16	/* method=result pairs kept per field */

/* header_mailbox_count - the mailboxes of an address-list field value
 * (address_list_parse: group members count; when the value breaks the
 * syntax, the mailboxes before the break). */
int header_mailbox_count(const char *value);
/* auth_results_parse - one Authentication-Results value:
 * {"raw", "parsed", "authserv_id", "results": [{"method", "result"}]}. */
json_t *auth_results_parse(const char *value);
/* arc_parse - one ARC-Seal, ARC-Message-Signature or
 * ARC-Authentication-Results field (name says which):
 * {"field", "raw", "parsed", "instance", and "cv" (seal), "domain" (seal,
 * signature), "selector" (signature), "authserv_id" and "results" (AAR)}. */
json_t *arc_parse(const char *name, const char *value);

#endif
