/*
 * tlsrpt.h - SMTP TLS Reporting (RFC 8460): the _smtp._tls TXT record of
 * a domain, parsed strictly.
 *
 * Trusts nothing in the record: every violation is a problem quoting the
 * offending text made printable; the parsed fields reach the report only
 * when the record is valid (a sender ignores an invalid one).
 */
#ifndef MXRAY_PROBE_TLSRPT_H
#define MXRAY_PROBE_TLSRPT_H

#include <stddef.h>
#include <jansson.h>
#include "mail/resolver.h"

#define TLSRPT_RUA_MAX 16

/* tlsrpt_parse - one record: {"valid": bool, "rua": [...], "problems": [...]}
 * (new reference). */
json_t *tlsrpt_parse(const char *txt, size_t len);

/* tlsrpt_check - the report's dns.tls_rpt for domain, with findings (new
 * reference); never fails: a failed lookup is outcome "temperror". */
json_t *tlsrpt_check(resolver_t *r, const char *domain);

#endif
