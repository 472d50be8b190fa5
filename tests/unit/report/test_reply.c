/*
 * test_reply.c - the reply mail: who gets one, its headers and body, that
 * no report value can inject a header, and submission through a
 * sendmail-like program.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>

#include "harness.h"
#include "fixture_report.h"
#include "mail/config.h"
#include "report/reply.h"

#define SAMPLE_NOW 1795334403	/* 2026-11-22T08:00:03Z, a Sunday */

static int load_cfg(mxray_config_t *cfg, const char *submit)
{
	char text[512], err[256];
	snprintf(text, sizeof(text), "[mail]\nfrom = mxray <mxray@mxray.test>\nsubmit = %s\n"
		 "[report]\nbase_url = http://127.77.0.8:8080/\nttl = 72h\n", submit);
	if (config_load_string(text, cfg, err, sizeof(err)) != 0) {
		printf("#   config: %s\n", err);
		return -1;
	}
	return 0;
}

/* header_block - a copy of the header part (up to the blank line). */
static char *header_block(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t n = end ? (size_t)(end - msg) + 2 : strlen(msg);
	char *h = malloc(n + 1);
	memcpy(h, msg, n);
	h[n] = '\0';
	return h;
}

/* lines_are_crlf - every LF is preceded by CR, every CR followed by LF,
 * and no line is longer than 998 bytes. */
static int lines_are_crlf(const char *msg)
{
	size_t col = 0;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n' && (p == msg || p[-1] != '\r'))
			return 0;
		if (*p == '\r' && p[1] != '\n')
			return 0;
		col = *p == '\n' ? 0 : col + 1;
		if (col > 998)
			return 0;
	}
	return 1;
}

/* header_lines_named - how many header lines start with name (e.g. "Bcc:"). */
static int header_lines_named(const char *headers, const char *name)
{
	int n = 0;
	size_t len = strlen(name);
	for (const char *p = headers; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL)
		if (strncasecmp(p, name, len) == 0)
			n++;
	return n;
}

TEST(recipient_is_a_plain_address)
{
	static const struct { const char *reply_to; const char *want; } cases[] = {
		{ "alice@sender.test", "alice@sender.test" },
		{ "first.last+tag@sub.sender.test", "first.last+tag@sub.sender.test" },
		{ "", NULL },			/* null sender: never */
		{ "alice", NULL },
		{ "@sender.test", NULL },
		{ "alice@", NULL },
		{ "-oQ/tmp/x@sender.test", NULL },	/* looks like an option */
		{ "<alice@sender.test>", NULL },
		{ "alice@sender.test\r\nRCPT TO:<x@y.test>", NULL },
		{ "alice@sender.test bob@x.test", NULL },
		{ "\"a b\"@sender.test", NULL },
		{ "a..b@sender.test", NULL },
		{ "alice@sender..test", NULL },
		{ "al\\x0dice@sender.test", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rep = fixture_report();
		json_object_set_new(rep, "reply_to", json_string(cases[i].reply_to));
		const char *got = reply_recipient(rep);
		if (cases[i].want)
			CHECK_STR(got, cases[i].want);
		else if (got != NULL)
			CHECK_STR(got, "(no recipient)");
		json_decref(rep);
	}
}

TEST(recipient_follows_reply_to_and_needs_a_message)
{
	json_t *rep = fixture_report();
	json_object_set_new(rep, "reply_to", json_null());	/* the milter said no */
	CHECK(reply_recipient(rep) == NULL);
	json_object_set_new(rep, "reply_to", json_string("bob@sender.test"));
	CHECK_STR(reply_recipient(rep), "bob@sender.test");
	json_object_set_new(rep, "reply_to", json_integer(5));
	CHECK(reply_recipient(rep) == NULL);
	/* No reply_to at all (a forged or older report): no reply, although
	 * its envelope sender is a fine address the policy never approved. */
	json_object_del(rep, "reply_to");
	CHECK_STR(json_string_value(json_object_get(json_object_get(rep, "message"), "mail_from")),
		  "alice@sender.test");
	CHECK(reply_recipient(rep) == NULL);
	json_object_del(rep, "message");	/* a domain-only check */
	CHECK(reply_recipient(rep) == NULL);
	CHECK(reply_recipient(NULL) == NULL);
	json_decref(rep);
}

TEST(message_id_shape)
{
	static const struct { const char *id; int ok; } cases[] = {
		{ "<abc@sender.test>", 1 },
		{ "<20261122.1.x-y_z@[127.0.0.1]>", 1 },
		{ "abc@sender.test", 0 },
		{ "<abc>", 0 },
		{ "<@sender.test>", 0 },
		{ "<abc@>", 0 },
		{ "<a b@sender.test>", 0 },
		{ "<abc@sender.test>\r\nBcc: victim@x.test", 0 },
		{ "<abc@sender.test\r\nBcc: victim@x.test>", 0 },
		{ "<a@b><c@d>", 0 },
		{ "", 0 },
		{ NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (reply_msgid_ok(cases[i].id) != cases[i].ok)
			printf("#   case %zu: %s\n", i, cases[i].id ? cases[i].id : "(null)");
		CHECK_INT(reply_msgid_ok(cases[i].id), cases[i].ok);
	}
}

TEST(from_address_of_the_config)
{
	char buf[300];
	CHECK_INT(reply_from_address("mxray <mxray@mxray.test>", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "mxray@mxray.test");
	CHECK_INT(reply_from_address("  mxray@mxray.test ", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "mxray@mxray.test");
	CHECK_INT(reply_from_address("mxray <mxray@mxray.test", buf, sizeof(buf)), -1);
	CHECK_INT(reply_from_address("mxray", buf, sizeof(buf)), -1);
	CHECK_INT(reply_from_address(NULL, buf, sizeof(buf)), -1);
}

TEST(compose_headers_and_body)
{
	mxray_config_t cfg;
	json_t *rep = fixture_report();
	strbuf_t msg = STRBUF_INIT;
	char err[256] = "";
	if (load_cfg(&cfg, "sendmail:/usr/sbin/sendmail") != 0 || rep == NULL) {
		CHECK(0);
		return;
	}
	CHECK_INT(reply_compose(&cfg, rep, "alice@sender.test", SAMPLE_NOW, &msg, err,
				sizeof(err)), 0);
	const char *m = msg.data ? msg.data : "";
	char *h = header_block(m);
	CHECK(strncmp(h, "From: mxray <mxray@mxray.test>\r\n", 32) == 0);
	CHECK(strstr(h, "\r\nTo: alice@sender.test\r\n") != NULL);
	CHECK(strstr(h, "\r\nSubject: mxray report for sender.test: grade A\r\n") != NULL);
	CHECK(strstr(h, "\r\nDate: Sun, 22 Nov 2026 08:00:03 +0000\r\n") != NULL);
	CHECK(strstr(h, "\r\nMessage-ID: <" SAMPLE_TOKEN "@mxray.test>\r\n") != NULL);
	CHECK(strstr(h, "\r\nIn-Reply-To: <20261122080000.abc@sender.test>\r\n") != NULL);
	CHECK(strstr(h, "\r\nReferences: <20261122080000.abc@sender.test>\r\n") != NULL);
	CHECK(strstr(h, "\r\nAuto-Submitted: auto-replied\r\n") != NULL);
	CHECK(strstr(h, "\r\nMIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(h, "\r\nContent-Type: multipart/alternative; boundary=\"=_mxray_" SAMPLE_TOKEN
		      "\"\r\n") != NULL);
	/* Plain text first, then HTML (the preferred one last, RFC 2046 5.1.4). */
	const char *text_part = strstr(m, "\r\n--=_mxray_" SAMPLE_TOKEN "\r\nContent-Type: text/plain; "
				       "charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
	const char *html_part = strstr(m, "\r\n--=_mxray_" SAMPLE_TOKEN "\r\nContent-Type: text/html; "
				       "charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
	const char *end = strstr(m, "\r\n--=_mxray_" SAMPLE_TOKEN "--\r\n");
	CHECK(text_part != NULL && html_part != NULL && end != NULL);
	CHECK(text_part && html_part && end && text_part < html_part && html_part < end &&
	      end[strlen("\r\n--=_mxray_" SAMPLE_TOKEN "--\r\n")] == '\0');
	if (html_part && end) {
		CHECK(memmem(html_part, (size_t)(end - html_part), "Grade: A</p>", 12) != NULL);
		CHECK(memmem(html_part, (size_t)(end - html_part), "<a href=\"http://127.77.0.8:8080/r/"
			     SAMPLE_TOKEN "\">", 60) != NULL);
		CHECK(memmem(html_part, (size_t)(end - html_part), "<b>Certificate not trusted</b>",
			     30) != NULL);
	}
	const char *body = strstr(m, "\r\n\r\n");
	CHECK(body != NULL);
	body = body ? body : "";
	CHECK(strstr(body, "\r\n  http://127.77.0.8:8080/r/" SAMPLE_TOKEN "\r\n") != NULL);
	CHECK(strstr(body, "deleted at 2026-11-25T08:00:03Z (after 72 hours)") != NULL);
	CHECK(strstr(body, "d=sender.test s=s1 rsa-sha256: pass") != NULL);
	CHECK(strstr(body, "MX mx1.sender.test") != NULL);
	CHECK(lines_are_crlf(m));
	free(h);
	json_decref(rep);
	strbuf_free(&msg);
	config_free(&cfg);
}

/* The HTML part escapes what came from outside and loads nothing. */
TEST(compose_html_part_is_escaped_and_inert)
{
	mxray_config_t cfg;
	json_t *rep = fixture_report();
	strbuf_t msg = STRBUF_INIT;
	char err[256] = "";
	if (load_cfg(&cfg, "sendmail:/usr/sbin/sendmail") != 0 || rep == NULL) {
		CHECK(0);
		return;
	}
	json_object_set_new(rep, "domain", json_string("<script>alert(1)</script>.test"));
	json_t *fix = json_array_get(json_object_get(json_object_get(rep, "grade"), "top_fixes"), 0);
	json_object_set_new(fix, "subject", json_string("\"><img src=x onerror=alert(2)>"));
	CHECK_INT(reply_compose(&cfg, rep, "alice@sender.test", SAMPLE_NOW, &msg, err,
				sizeof(err)), 0);
	const char *m = msg.data ? msg.data : "";
	/* The plain text part may say <script> as it is; the HTML part not. */
	m = strstr(m, "Content-Type: text/html") ?: "";
	CHECK(m[0] != '\0');
	CHECK(strstr(m, "<script") == NULL);
	CHECK(strstr(m, "<img") == NULL);
	CHECK(strstr(m, "<title>mxray report for &lt;script&gt;alert(1)&lt;/script&gt;.test</title>") != NULL);
	CHECK(strstr(m, "(&quot;&gt;&lt;img src=x onerror=alert(2)&gt;)") != NULL);
	CHECK(strstr(m, "src=\"") == NULL && strstr(m, "<style") == NULL);
	CHECK(lines_are_crlf(msg.data));
	json_decref(rep);
	strbuf_free(&msg);
	config_free(&cfg);
}

TEST(compose_never_lets_a_value_inject_a_header)
{
	static const char *ids[] = {
		"<abc@sender.test>\r\nBcc: victim@x.test",
		"<abc@sender.test>\nBcc: victim@x.test",
		"<abc@sender.test>\rBcc: victim@x.test",
		"\r\nBcc: victim@x.test",
	};
	mxray_config_t cfg;
	if (load_cfg(&cfg, "sendmail:/usr/sbin/sendmail") != 0) {
		CHECK(0);
		return;
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		json_t *rep = fixture_report();
		strbuf_t msg = STRBUF_INIT;
		char err[256];
		json_object_set_new(json_object_get(rep, "message"), "message_id",
				    json_string(ids[i]));
		json_object_set_new(rep, "domain", json_string("sender.test\r\nBcc: v2@x.test"));
		CHECK_INT(reply_compose(&cfg, rep, "alice@sender.test", SAMPLE_NOW, &msg, err,
					sizeof(err)), 0);
		char *h = header_block(msg.data);
		CHECK_INT(header_lines_named(h, "Bcc:"), 0);
		CHECK_INT(header_lines_named(h, "In-Reply-To:"), 0);
		CHECK_INT(header_lines_named(h, "References:"), 0);
		CHECK_INT(header_lines_named(h, "Subject:"), 1);
		CHECK(strstr(h, "Subject: mxray report for sender.test??Bcc: v2@x.test: grade A\r\n") != NULL);
		CHECK(lines_are_crlf(msg.data));
		free(h);
		json_decref(rep);
		strbuf_free(&msg);
	}
	config_free(&cfg);
}

TEST(compose_refuses_what_it_cannot_send)
{
	mxray_config_t cfg;
	strbuf_t msg = STRBUF_INIT;
	char err[256];
	json_t *rep = fixture_report();
	if (load_cfg(&cfg, "sendmail:/usr/sbin/sendmail") != 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(reply_compose(&cfg, rep, "bad\r\naddress@x.test", SAMPLE_NOW, &msg, err,
				sizeof(err)), -1);
	json_object_set_new(rep, "token", json_string("short"));
	CHECK_INT(reply_compose(&cfg, rep, "alice@sender.test", SAMPLE_NOW, &msg, err,
				sizeof(err)), -1);
	CHECK(strstr(err, "token") != NULL);
	json_object_set_new(rep, "format", json_integer(2));
	CHECK_INT(reply_compose(&cfg, rep, "alice@sender.test", SAMPLE_NOW, &msg, err,
				sizeof(err)), -1);
	CHECK_INT(msg.len, 0);
	json_decref(rep);
	strbuf_free(&msg);
	config_free(&cfg);
}

/* write_script - an executable shell script at path. */
static int write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	return chmod(path, 0755);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	strbuf_t sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_append(&sb, buf, n);
	fclose(f);
	return strbuf_detach(&sb);
}

TEST(submit_through_a_sendmail_program)
{
	char dir[] = "/tmp/mxray-reply-XXXXXX", script[128], body[512], submit[160];
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(script, sizeof(script), "%s/sendmail", dir);
	snprintf(body, sizeof(body), "printf '%%s\\n' \"$@\" > %s/args\ncat > %s/msg", dir, dir);
	CHECK_INT(write_script(script, body), 0);
	snprintf(submit, sizeof(submit), "sendmail:%s", script);

	mxray_config_t cfg;
	json_t *rep = fixture_report();
	strbuf_t msg = STRBUF_INIT;
	char err[256] = "", path[160];
	CHECK_INT(load_cfg(&cfg, submit), 0);
	CHECK_INT(reply_compose(&cfg, rep, "alice@sender.test", SAMPLE_NOW, &msg, err,
				sizeof(err)), 0);
	CHECK_INT(reply_submit(&cfg, "alice@sender.test", msg.data, msg.len, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/args", dir);
	char *args = slurp(path);
	CHECK_STR(args, "-i\n-f\nmxray@mxray.test\n--\nalice@sender.test\n");
	snprintf(path, sizeof(path), "%s/msg", dir);
	char *got = slurp(path);
	CHECK(got != NULL && strchr(got, '\r') == NULL);	/* local line ends */
	CHECK(got != NULL && strstr(got, "\nAuto-Submitted: auto-replied\n") != NULL);
	CHECK(got != NULL && strstr(got, "/r/" SAMPLE_TOKEN "\n") != NULL);
	free(args);
	free(got);

	/* A failing program is a failure, with its status in the reason. */
	CHECK_INT(write_script(script, "cat >/dev/null; exit 75"), 0);
	CHECK_INT(reply_submit(&cfg, "alice@sender.test", msg.data, msg.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "75") != NULL);
	/* A recipient that is not a plain address never reaches the program. */
	CHECK_INT(reply_submit(&cfg, "-bi", msg.data, msg.len, err, sizeof(err)), -1);
	config_free(&cfg);

	/* A missing program. */
	snprintf(submit, sizeof(submit), "sendmail:%s/missing", dir);
	CHECK_INT(load_cfg(&cfg, submit), 0);
	CHECK_INT(reply_submit(&cfg, "alice@sender.test", msg.data, msg.len, err, sizeof(err)), -1);
	CHECK(strstr(err, "could not be run") != NULL);
	config_free(&cfg);

	json_decref(rep);
	strbuf_free(&msg);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
}

TEST(submit_to_an_smtp_port_nobody_listens_on_fails)
{
	mxray_config_t cfg;
	char err[256] = "";
	CHECK_INT(load_cfg(&cfg, "smtp://127.0.0.1:1"), 0);
	CHECK_INT(reply_submit(&cfg, "alice@sender.test", "x\r\n", 3, err, sizeof(err)), -1);
	CHECK(strstr(err, "127.0.0.1:1") != NULL);
	config_free(&cfg);
}

int main(void)
{
	/* reply_submit writes to a sendmail child that may exit first (the
	 * failure cases do); like the daemons, a caller ignores SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	RUN(recipient_is_a_plain_address);
	RUN(recipient_follows_reply_to_and_needs_a_message);
	RUN(message_id_shape);
	RUN(from_address_of_the_config);
	RUN(compose_headers_and_body);
	RUN(compose_html_part_is_escaped_and_inert);
	RUN(compose_never_lets_a_value_inject_a_header);
	RUN(compose_refuses_what_it_cannot_send);
	RUN(submit_through_a_sendmail_program);
	RUN(submit_to_an_smtp_port_nobody_listens_on_fails);
	return harness_done();
}
