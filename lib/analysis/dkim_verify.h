/*
 * dkim_verify.h - DKIM (RFC 6376) verification of a test message, with
 * libopendkim.
 *
 * One dkim_verify_lib_t per process (it wraps libopendkim's DKIM_LIB and
 * is shared by the milter's threads); one dkim_verify_t per message. Every
 * key lookup goes through analysis_dns_t (mxray's validating resolver),
 * never libopendkim's own resolver (which would read /etc/resolv.conf). A
 * BOGUS, SERVFAIL or failed lookup is a DNS error for libopendkim, so the
 * signature is a temperror and never a pass.
 * Every signature of the message is reported (not only the first good
 * one): dkim_verify_finish returns the "dkim" array of
 * docs/report-format.md: [{"domain","selector","algorithm","result",
 * "reason"}], result being pass fail neutral temperror permerror policy.
 * The body is fed through and never kept.
 */
#ifndef MXRAY_ANALYSIS_DKIM_VERIFY_H
#define MXRAY_ANALYSIS_DKIM_VERIFY_H

#include <stddef.h>
#include <jansson.h>

#define DKIM_VERIFY_HEADER_MAX 65535	/* bytes of "Name: value" libopendkim verifies */
#include "analysis/analysis_dns.h"

typedef struct dkim_verify_lib dkim_verify_lib_t;
typedef struct dkim_verify dkim_verify_t;

/* dkim_verify_lib_new - the process-wide library; dns is copied. */
dkim_verify_lib_t *dkim_verify_lib_new(const analysis_dns_t *dns, char *err, size_t errlen);
void dkim_verify_lib_free(dkim_verify_lib_t *lib);
/* dkim_verify_lib_handle - the DKIM_LIB inside (borrowed), for tests that
 * sign with the same library. */
void *dkim_verify_lib_handle(dkim_verify_lib_t *lib);

/* dkim_verify_new - a verifier for one message; id names it in logs. */
dkim_verify_t *dkim_verify_new(dkim_verify_lib_t *lib, const char *id, char *err, size_t errlen);
/* dkim_verify_header - one header field as the MTA gave it: value with its
 * leading white space when lead_space_kept, else "name: value" is built.
 * 0 when fed; else its length with CRLF line ends, longer than
 * DKIM_VERIFY_HEADER_MAX: the caller counts that with
 * message_limits_dkim_skip, so a signature over it is neutral, never a
 * false fail. */
size_t dkim_verify_header(dkim_verify_t *v, const char *name, const char *value,
			  int lead_space_kept);
void dkim_verify_eoh(dkim_verify_t *v);
/* dkim_verify_body - a chunk of the body (CRLF line ends), hashed only. */
void dkim_verify_body(dkim_verify_t *v, const unsigned char *buf, size_t len);
/* dkim_verify_finish - end of message; a new array, never NULL. */
json_t *dkim_verify_finish(dkim_verify_t *v);
void dkim_verify_free(dkim_verify_t *v);

#endif
