/*
 * test_smtp_reply.c - the strict SMTP reply reader, fed through a socket
 * pair exactly as a server's bytes would arrive: good replies, malformed
 * ones (each violation reported, with its text), EOF and timeouts.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/netio.h"
#include "probe/smtp_reply.h"

typedef struct reply_case {
	const char *name;
	const char *input;
	size_t len;			/* 0: strlen(input) */
	int rc;				/* want from smtp_reply_read */
	smtp_fail_t fail;
	int code;
	size_t lines;
	const char *err_has;		/* substring of err when rc = -1 */
} reply_case_t;

/* feed - read one reply from bytes; the writer closes after writing. */
static int feed(const char *in, size_t len, smtp_reply_t *r, json_t *tr, smtp_fail_t *f,
		char *err, size_t errlen, int close_after)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -2;
	if (len)
		(void)!write(sv[1], in, len);
	if (close_after)
		close(sv[1]);
	netio_t *io = netio_from_fd(sv[0]);
	int rc = smtp_reply_read(io, clock_ms() + 300, r, tr, f, err, errlen);
	netio_free(io);
	if (!close_after)
		close(sv[1]);
	return rc;
}

TEST(reply_table)
{
	static char overlong[3000], manylines[101 * 8 + 1];
	memcpy(overlong, "220 ", 4);
	memset(overlong + 4, 'a', sizeof(overlong) - 6);
	memcpy(overlong + sizeof(overlong) - 2, "\r\n", 2);
	for (int i = 0; i < 101; i++)
		memcpy(manylines + i * 8, "250-abc\n", 8);
	manylines[101 * 8] = '\0';

	static const reply_case_t cases[] = {
		{ "single", "220 mx.example ESMTP\r\n", 0, 0, SMTP_FAIL_NONE, 220, 1, NULL },
		{ "multi", "250-a\r\n250-b c\r\n250 d\r\n", 0, 0, SMTP_FAIL_NONE, 250, 3, NULL },
		{ "code only", "250\r\n", 0, 0, SMTP_FAIL_NONE, 250, 1, NULL },
		{ "bare LF", "220 hi\n", 0, 0, SMTP_FAIL_NONE, 220, 1, NULL },
		{ "tab in text", "220 a\tb\r\n", 0, 0, SMTP_FAIL_NONE, 220, 1, NULL },
		{ "wrong continuation code", "250-a\r\n251 b\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "continuation line has code 251, the reply began with 250" },
		{ "non-digit code", "2x0 hi\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "valid 3-digit code" },
		{ "code out of range", "620 hi\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "valid 3-digit code" },
		{ "too short", "22\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0, "shorter than" },
		{ "bad separator", "220hello\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "not followed by ' ' or '-'" },
		{ "8-bit garbage", "220 h\xffllo\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "non-printable byte 0xff: \"220 h\\xffllo\"" },
		{ "NUL byte", "220 a\0b\r\n", 9, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "non-printable byte 0x00" },
		{ "escape sequence", "220 \x1b[2J\r\n", 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "non-printable byte 0x1b" },
		{ "overlong line", overlong, sizeof(overlong), -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "line longer than 2048 bytes" },
		{ "too many lines", manylines, 0, -1, SMTP_FAIL_PROTOCOL, 0, 0,
		  "reply longer than 100 lines" },
		{ "eof before reply", "", 0, -1, SMTP_FAIL_EOF, 0, 0, "closed" },
		{ "eof mid reply", "250-more to come\r\n", 0, -1, SMTP_FAIL_EOF, 0, 0, "closed" },
		{ "eof mid line", "220 no newline", 0, -1, SMTP_FAIL_EOF, 0, 0, "closed" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const reply_case_t *t = &cases[i];
		smtp_reply_t r;
		smtp_fail_t f = SMTP_FAIL_IO;
		char err[512] = "";
		smtp_reply_init(&r);
		size_t len = t->len ? t->len : strlen(t->input);
		int rc = feed(t->input, len, &r, NULL, &f, err, sizeof(err), 1);
		if (rc != t->rc || f != t->fail ||
		    (t->rc == 0 && (r.code != t->code || r.count != t->lines)) ||
		    (t->err_has && strstr(err, t->err_has) == NULL)) {
			harness_case_failed = 1;
			printf("#   case \"%s\": rc %d fail %s code %d lines %zu err \"%s\"\n", t->name,
			       rc, smtp_fail_name(f), r.code, r.count, err);
		}
		smtp_reply_clear(&r);
	}
}

TEST(reply_lines_and_text)
{
	smtp_reply_t r;
	smtp_fail_t f;
	char err[256];
	smtp_reply_init(&r);
	CHECK_INT(feed("250-mx.example\r\n250-SIZE 1000\r\n250 STARTTLS\r\n", 45, &r, NULL, &f,
		       err, sizeof(err), 1), 0);
	CHECK_INT(r.count, 3);
	CHECK_STR(smtp_reply_text(&r, 1), "SIZE 1000");
	CHECK_STR(smtp_reply_text(&r, 2), "STARTTLS");
	char *j = smtp_reply_joined(&r);
	CHECK_STR(j, "250-mx.example\n250-SIZE 1000\n250 STARTTLS");
	free(j);
	smtp_reply_clear(&r);
}

TEST(transcript_keeps_offending_line_printable)
{
	smtp_reply_t r;
	smtp_fail_t f;
	char err[256];
	json_t *tr = json_array();
	smtp_reply_init(&r);
	CHECK_INT(feed("220-ok\r\n220 bad\x01\r\n", 18, &r, tr, &f, err, sizeof(err), 1), -1);
	CHECK_INT(json_array_size(tr), 2);
	json_t *last = json_array_get(tr, 1);
	CHECK_STR(json_string_value(json_object_get(last, "dir")), "S");
	CHECK_STR(json_string_value(json_object_get(last, "line")), "220 bad\\x01");
	json_decref(tr);
	smtp_reply_clear(&r);
}

TEST(silent_peer_times_out_on_deadline)
{
	smtp_reply_t r;
	smtp_fail_t f;
	char err[256];
	smtp_reply_init(&r);
	long long t0 = clock_ms();
	CHECK_INT(feed("250-slow\r\n", 10, &r, NULL, &f, err, sizeof(err), 0), -1);
	long long took = clock_ms() - t0;
	CHECK_INT(f, SMTP_FAIL_TIMEOUT);
	CHECK(took >= 290 && took < 600);
	smtp_reply_clear(&r);
}

TEST(netio_line_limit_is_an_error_not_truncation)
{
	int sv[2];
	char buf[17];
	char err[128];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	(void)!write(sv[1], "short\r\n0123456789abcdefXYZ\r\nafter\n", 34);
	netio_t *io = netio_from_fd(sv[0]);
	CHECK_INT(netio_read_line(io, buf, 16, clock_ms() + 200, err, sizeof(err)), 5);
	CHECK_STR(buf, "short");
	CHECK_INT(netio_read_line(io, buf, 16, clock_ms() + 200, err, sizeof(err)), -1);
	CHECK_INT(netio_error_kind(io), NETIO_ERR_TOOLONG);
	CHECK_STR(err, "line longer than 16 bytes");
	netio_free(io);
	close(sv[1]);
}

TEST(netio_endless_line_without_newline_stops_at_limit)
{
	int sv[2];
	char buf[65];
	char err[128], junk[4096];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memset(junk, 'x', sizeof(junk));
	(void)!write(sv[1], junk, sizeof(junk));	/* no LF, peer stays open */
	netio_t *io = netio_from_fd(sv[0]);
	long long t0 = clock_ms();
	CHECK_INT(netio_read_line(io, buf, 64, clock_ms() + 2000, err, sizeof(err)), -1);
	CHECK_INT(netio_error_kind(io), NETIO_ERR_TOOLONG);
	CHECK(clock_ms() - t0 < 500);	/* decided at once, not at the deadline */
	netio_free(io);
	close(sv[1]);
}

int main(void)
{
	log_init("test_smtp_reply", LOG_DEST_STDERR, 0);
	RUN(reply_table);
	RUN(reply_lines_and_text);
	RUN(transcript_keeps_offending_line_printable);
	RUN(silent_peer_times_out_on_deadline);
	RUN(netio_line_limit_is_an_error_not_truncation);
	RUN(netio_endless_line_without_newline_stops_at_limit);
	return harness_done();
}
