/*
 * message_limits.h - how much of a test message mxray reads: the header
 * fields ([milter] max_headers, max_header_bytes) and the body bytes hashed
 * for DKIM ([milter] max_body_bytes). A message over a limit is still
 * answered: what was not read is counted and reported ("limits" in
 * docs/report-format.md, findings message.limits.*), and a DKIM signature
 * the cut leaves unverifiable is reported neutral, never a false fail.
 * The milter and `mxray analyze` use the same limits.
 */
#ifndef MXRAY_ANALYSIS_MESSAGE_LIMITS_H
#define MXRAY_ANALYSIS_MESSAGE_LIMITS_H

#include <stddef.h>
#include <jansson.h>

typedef struct message_limits {
	long long max_headers, max_header_bytes, max_body_bytes;	/* 0: no limit */
	long long headers, headers_not_read, longest_header;
	long long body_bytes, body_bytes_read;
	long long dkim_skipped, dkim_skipped_bytes;	/* fields too long for DKIM */
	char dkim_skipped_name[64];	/* the first of them, lowercase */
} message_limits_t;

/* message_limits_set - the maxima (0 = no limit); counters start at 0. */
void message_limits_set(message_limits_t *l, long long max_headers, long long max_header_bytes,
			long long max_body_bytes);
/* message_limits_header - count a header field; 1 to read it, 0 when it is
 * over a limit (then it is only counted). */
int message_limits_header(message_limits_t *l, const char *name, const char *value);
/* message_limits_dkim_skip - a field read but too long for the DKIM
 * verifier (dkim_verify_header gave 0): signatures that cover a field of
 * that name become neutral in message_limits_dkim. */
void message_limits_dkim_skip(message_limits_t *l, const char *name, size_t bytes);
/* message_limits_body - count a body chunk of len bytes; how many of its
 * first bytes to hash (the rest is over max_body_bytes). */
size_t message_limits_body(message_limits_t *l, size_t len);
/* message_limits_dkim - make each signature of the "dkim" array that the
 * cut leaves unverifiable "neutral", with the reason (a signature whose l=
 * lies within the bytes read keeps its result). */
void message_limits_dkim(const message_limits_t *l, json_t *dkim);
/* message_limits_json - the "limits" object, with findings when a limit
 * was met (new reference). */
json_t *message_limits_json(const message_limits_t *l);

#endif
