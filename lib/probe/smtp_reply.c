/*
 * smtp_reply.c - strict SMTP reply parser and reader (see smtp_reply.h).
 *
 * Trusts nothing in the bytes it reads; keeps only lines that passed every
 * check. Bounded: SMTP_REPLY_LINE_MAX bytes a line, SMTP_REPLY_LINES_MAX
 * lines a reply, SMTP_TRANSCRIPT_MAX transcript entries a session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "mail/record.h"
#include "probe/smtp_reply.h"

static const char *const smtp_fail_names[] = {
	[SMTP_FAIL_NONE] = "none",
	[SMTP_FAIL_TIMEOUT] = "timeout",
	[SMTP_FAIL_EOF] = "closed",
	[SMTP_FAIL_IO] = "io",
	[SMTP_FAIL_PROTOCOL] = "protocol",
	[SMTP_FAIL_TLS] = "tls",
	[SMTP_FAIL_REFUSED] = "refused",
	[SMTP_FAIL_NO_SLOT] = "no_slot",
};

const char *smtp_fail_name(smtp_fail_t f)
{
	if ((unsigned)f < sizeof(smtp_fail_names) / sizeof(smtp_fail_names[0]))
		return smtp_fail_names[f];
	return "?";
}

void smtp_reply_init(smtp_reply_t *r)
{
	memset(r, 0, sizeof(*r));
}

void smtp_reply_clear(smtp_reply_t *r)
{
	for (size_t i = 0; i < r->count; i++)
		free(r->lines[i]);
	smtp_reply_init(r);
}

/* violation - err = reason + the line made printable (short); returns -1. */
static int violation(char *err, size_t errlen, const char *why, const char *line, size_t len)
{
	char *p = text_printable(line, len, 120);
	snprintf(err, errlen, "%s: \"%s\"", why, p);
	free(p);
	return -1;
}

int smtp_reply_add_line(smtp_reply_t *r, const char *line, size_t len, char *err, size_t errlen)
{
	char why[96];

	if (r->complete)
		log_panic("smtp_reply_add_line: reply already complete");
	if (len > SMTP_REPLY_LINE_MAX) {
		snprintf(why, sizeof(why), "reply line longer than %d bytes", SMTP_REPLY_LINE_MAX);
		return violation(err, errlen, why, line, len);
	}
	if (len < 3)
		return violation(err, errlen, "reply line shorter than a 3-digit code", line, len);
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
	    line[2] < '0' || line[2] > '9')
		return violation(err, errlen, "reply does not start with a valid 3-digit code",
				 line, len);
	int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (r->count > 0 && code != r->code) {
		snprintf(why, sizeof(why), "continuation line has code %d, the reply began with %d",
			 code, r->code);
		return violation(err, errlen, why, line, len);
	}
	int more = 0;
	if (len > 3) {
		if (line[3] == '-')
			more = 1;
		else if (line[3] != ' ')
			return violation(err, errlen, "code not followed by ' ' or '-'", line, len);
	}
	for (size_t i = 4; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 || c > 0x7e) && c != '\t') {
			snprintf(why, sizeof(why), "reply text contains the non-printable byte 0x%02x", c);
			return violation(err, errlen, why, line, len);
		}
	}
	if (r->count >= SMTP_REPLY_LINES_MAX) {
		snprintf(why, sizeof(why), "reply longer than %d lines", SMTP_REPLY_LINES_MAX);
		return violation(err, errlen, why, line, len);
	}
	char *copy = malloc(len + 1);
	if (copy == NULL)
		log_panic("smtp_reply_add_line: out of memory");
	memcpy(copy, line, len);
	copy[len] = '\0';
	r->lines[r->count++] = copy;
	r->code = code;
	r->complete = !more;
	return more;
}

const char *smtp_reply_text(const smtp_reply_t *r, size_t i)
{
	if (i >= r->count)
		return "";
	const char *l = r->lines[i];
	return strlen(l) > 4 ? l + 4 : "";
}

char *smtp_reply_joined(const smtp_reply_t *r)
{
	strbuf_t sb = STRBUF_INIT;

	strbuf_init(&sb);
	for (size_t i = 0; i < r->count; i++) {
		if (i)
			strbuf_puts(&sb, "\n");
		strbuf_puts(&sb, r->lines[i]);
	}
	return strbuf_detach(&sb);
}

void smtp_transcript_add(json_t *transcript, const char *dir, const char *line, size_t len)
{
	if (transcript == NULL)
		return;
	size_t n = json_array_size(transcript);
	if (n > SMTP_TRANSCRIPT_MAX)
		return;
	json_t *e = json_object();
	json_object_set_new(e, "dir", json_string(dir));
	if (n == SMTP_TRANSCRIPT_MAX)
		json_object_set_new(e, "line", json_string("(transcript truncated)"));
	else
		json_object_set_new(e, "line", record_text(line, len));
	json_array_append_new(transcript, e);
}

static smtp_fail_t fail_from_netio(netio_error_t e)
{
	switch (e) {
	case NETIO_ERR_TIMEOUT: return SMTP_FAIL_TIMEOUT;
	case NETIO_ERR_EOF: return SMTP_FAIL_EOF;
	case NETIO_ERR_TOOLONG: return SMTP_FAIL_PROTOCOL;
	case NETIO_ERR_TLS: return SMTP_FAIL_TLS;
	default: return SMTP_FAIL_IO;
	}
}

int smtp_reply_read(netio_t *io, long long deadline_ms, smtp_reply_t *r, json_t *transcript,
		    smtp_fail_t *fail, char *err, size_t errlen)
{
	char line[SMTP_REPLY_LINE_MAX + 1];

	smtp_reply_clear(r);
	for (;;) {
		long n = netio_read_line(io, line, SMTP_REPLY_LINE_MAX, deadline_ms, err, errlen);
		if (n < 0) {
			*fail = fail_from_netio(netio_error_kind(io));
			if (*fail == SMTP_FAIL_PROTOCOL) {
				char tmp[128];
				snprintf(tmp, sizeof(tmp), "%s", err);
				snprintf(err, errlen, "reply %s", tmp);
			}
			return -1;
		}
		smtp_transcript_add(transcript, "S", line, (size_t)n);
		int rc = smtp_reply_add_line(r, line, (size_t)n, err, errlen);
		if (rc < 0) {
			*fail = SMTP_FAIL_PROTOCOL;
			return -1;
		}
		if (rc == 0) {
			*fail = SMTP_FAIL_NONE;
			return 0;
		}
	}
}
