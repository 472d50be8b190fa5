/*
 * caa.h - CAA records (RFC 8659) that govern certificates for an MX host:
 * the closest CAA RRset found climbing from the host toward the root
 * (stopping below the top-level label), parsed into flags, tag and value.
 *
 * Trusts nothing in the rdata: lengths are checked before each read, tags
 * and values are made printable; a record that does not decode is counted.
 */
#ifndef MXRAY_PROBE_CAA_H
#define MXRAY_PROBE_CAA_H

#include <stddef.h>
#include <jansson.h>
#include "mail/resolver.h"

#define CAA_RECORDS_MAX 32

/* caa_parse_rdata - one CAA rdata as {"flags","critical","tag","value"}, or
 * NULL if it does not decode (new reference). */
json_t *caa_parse_rdata(const unsigned char *p, size_t n);
/* caa_check - the host's "caa" object (new reference):
 * {"outcome": "found"|"none"|"temperror"|"bogus", "name", "dnssec",
 *  "records": [...], "malformed": N, "issuers": [...]}. */
json_t *caa_check(resolver_t *r, const char *host);

#endif
