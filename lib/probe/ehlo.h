/*
 * ehlo.h - the SMTP service extensions a server announced in its EHLO
 * reply (RFC 5321 4.1.1.1: "keyword [params]" per line after the first),
 * parsed into facts a sender acts on: the message size limit (SIZE, RFC
 * 1870), PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531),
 * CHUNKING and BINARYMIME (RFC 3030), DSN (RFC 3461),
 * ENHANCEDSTATUSCODES (RFC 2034), REQUIRETLS (RFC 8689), STARTTLS (RFC
 * 3207), AUTH and its mechanisms (RFC 4954).
 *
 * Trusts nothing: the lines come from a probed server (already printable
 * and bounded by smtp_reply and record_text); a keyword that is not a
 * keyword or a SIZE that is not a number is a problem quoting the line,
 * never guessed at. Other keywords (ETRN, VRFY, vendor ones) are listed
 * in "other", not judged. At most EHLO_EXTENSIONS_MAX lines are read.
 */
#ifndef MXRAY_PROBE_EHLO_H
#define MXRAY_PROBE_EHLO_H

#include <jansson.h>

#define EHLO_EXTENSIONS_MAX 64

/* ehlo_extensions - the report's "extensions" object for the keyword
 * lines of one EHLO reply (a JSON array of strings, borrowed; non-strings
 * are skipped), from names where they came from ("ehlo_after_tls" or
 * "ehlo"). New reference; never NULL. */
json_t *ehlo_extensions(const json_t *lines, const char *from);

#endif
