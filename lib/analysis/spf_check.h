/*
 * spf_check.h - SPF (RFC 7208) of a test message, with libspf2.
 *
 * Evaluates MAIL FROM (or HELO for the null sender) for the client address
 * with all DNS through analysis_dns_t (mxray's validating resolver): a
 * BOGUS or SERVFAIL answer is a temperror, never data. The result is the
 * "spf" object of docs/report-format.md:
 *   {"domain", "result", "explanation", "record", "lookups",
 *    "lookup_limit", "void_lookups", "records", "findings"}
 * result is one of pass fail softfail neutral none temperror permerror.
 * The RFC 7208 4.6.4 limits are counted here, in the DNS layer (10
 * DNS-querying terms; 2 void lookups, which libspf2 does not enforce):
 * exceeding either is a permerror. The term that decided ("mechanism")
 * is found by evaluating each term of the record alone (libspf2 does not
 * report it).
 * libspf2 1.2.10 has the unpatched CVE-2023-42118: callers that face
 * hostile records (the milter) must run this through spf_sandbox.h.
 * libspf2 always passes 127.0.0.0/8 and ::1 clients ("localhost is always
 * allowed"), so for those there is no verdict: result null, "evaluated":
 * false and the reason in "explanation".
 */
#ifndef MXRAY_ANALYSIS_SPF_CHECK_H
#define MXRAY_ANALYSIS_SPF_CHECK_H

#include <jansson.h>
#include "analysis/analysis_dns.h"

/* spf_check_init - route libspf2's own logging into ours; call once at
 * start, before any thread runs a check. */
void spf_check_init(void);

/* spf_check_run - evaluate; returns a new "spf" object, never NULL.
 * client_ip: text address; helo may be NULL; mail_from NULL or "" means
 * the null sender. Thread-safe: all state is per call. */
json_t *spf_check_run(const analysis_dns_t *dns, const char *client_ip, const char *helo,
		      const char *mail_from);

/* spf_check_result_name - our name for libspf2's SPF_result_t result and
 * SPF_errcode_t errcode (int, so callers need not include libspf2). */
const char *spf_check_result_name(int result, int errcode);

#endif
