/*
 * address.h - mail addresses as they arrive in SMTP and in headers.
 *
 * Trusts nothing: the input is whatever the client sent. These helpers do
 * not validate RFC 5321/5322 syntax; they extract what mxray needs (the
 * bare address, its domain) and return NULL when there is none. Results
 * are malloc'd copies, bounded by ADDRESS_MAX; no shared state (the milter
 * calls them from many threads).
 */
#ifndef MXRAY_ANALYSIS_ADDRESS_H
#define MXRAY_ANALYSIS_ADDRESS_H

#include <stddef.h>

#define ADDRESS_MAX 1024	/* longer input is cut (RFC 5321 path: 256) */

/* address_strip - the bare address of a MAIL/RCPT argument: white space and
 * one pair of <> removed ("<a@b>" -> "a@b", "<>" -> ""); malloc'd. */
char *address_strip(const char *raw);
/* address_domain - lowercased domain after the last '@' of a bare address
 * (malloc'd), or NULL when there is no '@', nothing after it, or bytes
 * outside printable ASCII or spaces in it. */
char *address_domain(const char *addr);
/* address_header_domain - the domain of the first address of a From:
 * header value ("Alice <alice@Example.ORG>" -> "example.org"); NULL if
 * none is found. Comments and groups are not interpreted. */
char *address_header_domain(const char *value);

#endif
