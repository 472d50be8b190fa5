/*
 * received.h - Received header fields (RFC 5321 4.4, RFC 5322 3.6.7)
 * parsed into hops.
 *
 * Every MTA writes its own dialect around the same clauses: "from NAME
 * (comment with the IP) by HOST with PROTOCOL id ID for <RCPT>; DATE".
 * received_parse reads the clauses outside comments, then looks in the
 * comments for what MTAs put there: the client IP ([192.0.2.1],
 * (2001:db8::1), Exim's helo=, qmail's HELO), and TLS details (Postfix
 * "using TLSv1.3 with cipher X", Sendmail "version=TLSv1.3 cipher=X",
 * Exchange "version=TLS1_2, cipher=X", Exim "with esmtps (TLS1.3) tls X",
 * Gmail "(Google Transport Security)"). Tested with real headers of
 * Postfix, Exim, Sendmail, Exchange/Microsoft 365, Gmail and qmail.
 * Nothing is dropped: "raw" is always kept, and a field whose clauses
 * cannot be found is "parsed": false.
 * Trusts nothing: the text is whatever a sender (or any hop) wrote;
 * values enter JSON through record_text.
 */
#ifndef MXRAY_ANALYSIS_RECEIVED_H
#define MXRAY_ANALYSIS_RECEIVED_H

#include <time.h>
#include <jansson.h>

/* received_parse - one unfolded field value into a hop object:
 * {"raw","parsed","from_name","from_helo","from_ip","by","with","tls"
 *  (true/false/null),"tls_version","tls_cipher","id","for","date",
 *  "time" (RFC 3339 UTC, or null)}. Never NULL. */
json_t *received_parse(const char *raw);

/* received_date - an RFC 5322 date-time (obsolete forms and trailing
 * comments allowed) as seconds since the epoch; -1 if it is not one. */
time_t received_date(const char *s);

/* received_path - hops of the fields in message order (newest first),
 * with "delay_s" (seconds since the hop below it, when both dates are
 * known) and findings for clock skew, plaintext hops between hosts and
 * fields that could not be parsed. A new array. */
json_t *received_path(char *const *raw, size_t n);

#endif
