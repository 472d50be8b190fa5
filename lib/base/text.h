/*
 * text.h - making untrusted bytes safe to log, store and show.
 *
 * text_printable turns any byte string into printable ASCII: bytes outside
 * 0x20..0x7e (and the backslash) become \xNN, so the result is valid UTF-8
 * for JSON and safe for a log line. The result is at most max_out bytes
 * (then it ends in "..."), so a 1 MB banner cannot bloat a report.
 */
#ifndef MXRAY_BASE_TEXT_H
#define MXRAY_BASE_TEXT_H

#include <stddef.h>

/* text_printable - malloc'd printable copy of len bytes of s, bounded. */
char *text_printable(const char *s, size_t len, size_t max_out);
/* text_trim - strip leading/trailing ASCII white space in place. */
char *text_trim(char *s);
/* text_lower - ASCII-lowercase s in place; returns s. */
char *text_lower(char *s);
/* text_host_name_ok - 1 if s is a plain host name (RFC 1123 LDH labels of
 * 1..63 letters, digits and inner hyphens, at most 253 bytes, no final
 * dot) with at least min_labels labels; a leading "*." is allowed when
 * wildcard is 1 (MTA-STS mx patterns). */
int text_host_name_ok(const char *s, int min_labels, int wildcard);

#endif
