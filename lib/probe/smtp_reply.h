/*
 * smtp_reply.h - strict reading of SMTP replies from a probed server.
 *
 * A reply is one or more lines "CODE-text" ... "CODE text" (RFC 5321
 * 4.2). The parser is strict because the peer is hostile: the code is three
 * digits (first 2-5, second 0-5), every line carries the same code, the
 * separator is '-' or ' ', the text is printable US-ASCII or HT, a line is
 * at most SMTP_REPLY_LINE_MAX bytes and a reply at most SMTP_REPLY_LINES_MAX
 * lines. A violation is a result to report (with the offending line made
 * printable), never a silent fallback. Lines kept in a reply are therefore
 * printable by construction.
 */
#ifndef MXRAY_PROBE_SMTP_REPLY_H
#define MXRAY_PROBE_SMTP_REPLY_H

#include <stddef.h>
#include <jansson.h>
#include "base/netio.h"

#define SMTP_REPLY_LINE_MAX 2048
#define SMTP_REPLY_LINES_MAX 100
#define SMTP_TRANSCRIPT_MAX 400		/* lines kept in a transcript */

/* Why an SMTP exchange stopped. */
typedef enum smtp_fail {
	SMTP_FAIL_NONE = 0,
	SMTP_FAIL_TIMEOUT,	/* a phase timeout or the job deadline passed */
	SMTP_FAIL_EOF,		/* the server closed the connection */
	SMTP_FAIL_IO,		/* connect refused, reset, ... */
	SMTP_FAIL_PROTOCOL,	/* a malformed reply (see smtp_reply_add_line) */
	SMTP_FAIL_TLS,		/* the TLS handshake or a TLS record failed */
	SMTP_FAIL_REFUSED,	/* not attempted: the abuse guard refused the address */
	SMTP_FAIL_NO_SLOT,	/* not attempted: mxray's own connection slots stayed busy */
} smtp_fail_t;

const char *smtp_fail_name(smtp_fail_t f);

typedef struct smtp_reply {
	int code;			/* 0 until the first line */
	size_t count;			/* lines kept */
	int complete;			/* the last line ("CODE text") was seen */
	char *lines[SMTP_REPLY_LINES_MAX];	/* whole lines, printable, owned */
} smtp_reply_t;

void smtp_reply_init(smtp_reply_t *r);
void smtp_reply_clear(smtp_reply_t *r);	/* free the lines, back to init */
/* smtp_reply_add_line - feed one line (without CRLF): 1 = more lines
 * expected, 0 = the reply is complete, -1 = violation (reason in err). */
int smtp_reply_add_line(smtp_reply_t *r, const char *line, size_t len, char *err, size_t errlen);
/* smtp_reply_text - line i without "CODE-" / "CODE " (borrowed). */
const char *smtp_reply_text(const smtp_reply_t *r, size_t i);
/* smtp_reply_joined - the whole reply, lines joined by '\n' (malloc'd). */
char *smtp_reply_joined(const smtp_reply_t *r);

/* smtp_reply_read - read one whole reply from io before deadline_ms. Every
 * line received is appended to transcript (if not NULL) as {"dir":"S",
 * "line":...} before it is judged, so a report shows the offending text.
 * 0 ok; -1 with *fail and err. */
int smtp_reply_read(netio_t *io, long long deadline_ms, smtp_reply_t *r, json_t *transcript,
		    smtp_fail_t *fail, char *err, size_t errlen);
/* smtp_transcript_add - append {"dir":dir,"line":printable(line)}, bounded. */
void smtp_transcript_add(json_t *transcript, const char *dir, const char *line, size_t len);

#endif
