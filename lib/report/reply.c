/*
 * reply.c - compose and submit the reply mail (see reply.h).
 *
 * Trusts the config ([mail] from, [mail] submit, [report] base_url) and
 * nothing in the report. Limits: addresses are checked as plain
 * dot-atom@domain (a quoted local part or an internationalised address
 * gets no reply); body lines are cut at REPLY_LINE_MAX bytes; submission
 * gives up after REPLY_SUBMIT_TIMEOUT_MS.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curl/curl.h>

#include "base/clock.h"
#include "base/token.h"
#include "mail/record.h"
#include "mail/finding.h"
#include "report/grade.h"
#include "report/render.h"
#include "report/reply_dkim.h"
#include "report/reply.h"
#include "report/report_json.h"

#define REPLY_LINE_MAX 900
#define REPLY_HTML_WRAP 200
#define REPLY_MSGID_MAX 250
#define REPLY_SUBMIT_TIMEOUT_MS 60000
#define REPLY_CONNECT_TIMEOUT_MS 10000

/* Characters of an RFC 5322 dot-atom besides letters and digits. */
static const char atext_extra[] = "!#$%&'*+-/=?^_`{|}~.";

int reply_address_ok(const char *s)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > REPLY_ADDRESS_MAX)
		return 0;
	const char *at = strrchr(s, '@');
	if (at == NULL || at == s || at[1] == '\0' || s[0] == '-' || s[0] == '.' ||
	    at[-1] == '.')
		return 0;
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(c < 0x80 && (isalnum(c) || strchr(atext_extra, c))) || c == '\0')
			return 0;
	}
	if (at[1] == '.' || at[1] == '-' || strstr(s, "..") != NULL)
		return 0;
	for (const char *p = at + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(c < 0x80 && (isalnum(c) || c == '-' || c == '.' || c == '_')))
			return 0;
	}
	return strchr(at + 1, '.') != NULL || strcmp(at + 1, "localhost") == 0;
}

int reply_msgid_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 5 || n > REPLY_MSGID_MAX || s[0] != '<' || s[n - 1] != '>')
		return 0;
	const char *at = NULL;
	for (size_t i = 1; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '\\' ||
		    c == '(' || c == ')' || c == ',' || c == ';' || c == ':')
			return 0;
		if (c == '@')
			at = s + i;
	}
	return at != NULL && at != s + 1 && at != s + n - 2;
}

int reply_from_address(const char *from, char *buf, size_t len)
{
	const char *start = from, *end;
	if (from == NULL)
		return -1;
	const char *lt = strrchr(from, '<');
	if (lt != NULL) {
		start = lt + 1;
		end = strchr(start, '>');
		if (end == NULL)
			return -1;
	} else {
		while (*start == ' ' || *start == '\t')
			start++;
		end = start + strlen(start);
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
	}
	size_t n = (size_t)(end - start);
	if (n >= len)
		return -1;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return reply_address_ok(buf) ? 0 : -1;
}

const char *reply_recipient(const json_t *report)
{
	/* Only the milter's decision (the reply policy) names a recipient: a
	 * report without it, forged or from an older job, gets no reply rather
	 * than one to its envelope sender, which the policy never approved. */
	const char *rcpt = json_is_object(report) ? rjson_str(report, "reply_to") : NULL;
	return reply_address_ok(rcpt) ? rcpt : NULL;
}

/* header_safe - append s to a header value: printable ASCII only, bounded. */
static void header_safe(strbuf_t *out, const char *s, size_t max)
{
	size_t i = 0;
	for (; s && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		char ch = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		strbuf_append(out, &ch, 1);
	}
}

/* rfc5322_date - "Sun, 22 Nov 2026 08:00:00 +0000" without the locale. */
static void rfc5322_date(time_t t, char *buf, size_t len)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7],
		 tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

/* body_lines - append text as CRLF lines of printable ASCII (tab kept),
 * each cut at REPLY_LINE_MAX bytes. */
static void body_lines(strbuf_t *out, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		size_t keep = n > REPLY_LINE_MAX ? REPLY_LINE_MAX : n;
		for (size_t i = 0; i < keep; i++) {
			unsigned char c = (unsigned char)p[i];
			char ch = ((c >= 0x20 && c < 0x7f) || c == '\t') ? (char)c : '?';
			strbuf_append(out, &ch, 1);
		}
		if (keep < n)
			strbuf_puts(out, "...");
		strbuf_puts(out, "\r\n");
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* html_wrap - text with every line over REPLY_HTML_WRAP bytes broken at a
 * space (HTML does not care), so body_lines never has to cut markup. */
static void html_wrap(strbuf_t *out, const char *text)
{
	size_t col = 0, last_space = 0;
	const char *line = text;
	for (const char *p = text; *p; p++) {
		if (*p == '\n') {
			strbuf_append(out, line, (size_t)(p - line) + 1);
			line = p + 1;
			col = last_space = 0;
			continue;
		}
		if (*p == ' ')
			last_space = (size_t)(p - line);
		if (++col > REPLY_HTML_WRAP && last_space > 0) {
			strbuf_append(out, line, last_space);
			strbuf_puts(out, "\n");
			line += last_space + 1;
			col = (size_t)(p - line) + 1;
			last_space = 0;
		}
	}
	strbuf_puts(out, line);
}

/* reply_html - the small HTML part: grade, sub-grades, the top fixes and
 * the link. Every value is escaped; the link is the config's base URL and
 * a token that passed token_valid; no style sheet, no image, no script. */
static void reply_html(const json_t *report, const char *link, const char *expires,
		       strbuf_t *out)
{
	json_t *g = json_is_object(json_object_get(report, "grade"))
		? json_incref(json_object_get(report, "grade")) : report_grade(report);
	const char *domain = rjson_str(report, "domain");
	const char *overall = rjson_str(g, "overall");
	strbuf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>mxray report for ");
	strbuf_append_html(out, domain ? domain : "your domain");
	strbuf_puts(out, "</title></head>\n<body style=\"font-family:sans-serif;line-height:1.4\">\n"
		    "<p>Your mxray report for <b>");
	strbuf_append_html(out, domain ? domain : "your domain");
	strbuf_puts(out, "</b> is ready.</p>\n<p style=\"font-size:2em;font-weight:bold;margin:.3em 0\">"
		    "Grade: ");
	strbuf_append_html(out, overall ? overall : "not graded");
	strbuf_puts(out, "</p>\n<p>");
	static const char *const areas[][2] = {
		{ "sending", "Sending" }, { "receiving", "Receiving" }, { "policy", "Domain policy" },
	};
	for (size_t i = 0; i < 3; i++) {
		const char *sub = rjson_str(g, areas[i][0]);
		strbuf_printf(out, "%s%s: <b>", i ? " &middot; " : "", areas[i][1]);
		strbuf_append_html(out, sub ? sub : "not graded");
		strbuf_puts(out, "</b>");
	}
	strbuf_puts(out, "</p>\n");
	size_t i;
	json_t *f;
	int listed = 0;
	json_array_foreach(rjson_arr(g, "top_fixes"), i, f) {
		const finding_def_t *d = finding_lookup(rjson_str(f, "id") ?: "");
		if (d == NULL)
			continue;
		if (!listed++)
			strbuf_puts(out, "<h3>Fix these first</h3>\n<ol>\n");
		strbuf_puts(out, "<li><b>");
		strbuf_append_html(out, d->title);
		strbuf_puts(out, "</b>");
		if (rjson_str(f, "subject")) {
			strbuf_puts(out, " (");
			strbuf_append_html(out, rjson_str(f, "subject"));
			strbuf_puts(out, ")");
		}
		strbuf_puts(out, "<br>\n");
		strbuf_append_html(out, d->fix);
		strbuf_puts(out, "</li>\n");
	}
	if (listed)
		strbuf_puts(out, "</ol>\n");
	strbuf_puts(out, "<p><a href=\"");
	strbuf_append_html(out, link);
	strbuf_puts(out, "\">Open the full report</a>: every fact behind the grade and how to "
		    "fix each finding.</p>\n");
	if (expires) {
		strbuf_puts(out, "<p style=\"color:#666\">The report is deleted at ");
		strbuf_append_html(out, expires);
		strbuf_puts(out, ".</p>\n");
	}
	strbuf_puts(out, "</body></html>\n");
	json_decref(g);
}

int reply_compose(const mxray_config_t *cfg, const json_t *report, const char *rcpt,
		  time_t now, strbuf_t *out, char *err, size_t errlen)
{
	char from_addr[REPLY_ADDRESS_MAX + 1], date[64];
	strbuf_t summary = STRBUF_INIT, body = STRBUF_INIT;
	size_t start = out->len;

	if (record_check_format(report, REPORT_FORMAT, err, errlen) != 0)
		return -1;
	const char *token = rjson_str(report, "token");
	if (!token_valid(token)) {
		snprintf(err, errlen, "report has no valid token: nothing to link to");
		return -1;
	}
	if (!reply_address_ok(rcpt)) {
		snprintf(err, errlen, "recipient is not a plain mail address");
		return -1;
	}
	if (reply_from_address(cfg->mail_from, from_addr, sizeof(from_addr)) != 0) {
		snprintf(err, errlen, "[mail] from \"%.200s\" has no plain mail address",
			 cfg->mail_from);
		return -1;
	}
	const char *domain = rjson_str(report, "domain");
	const char *msgid = rjson_str(rjson_obj(report, "message"), "message_id");
	const char *expires = rjson_str(report, "expires");

	strbuf_puts(out, "From: ");
	header_safe(out, cfg->mail_from, 300);
	strbuf_printf(out, "\r\nTo: %s\r\nSubject: mxray report for ", rcpt);
	header_safe(out, domain ? domain : "your domain", 253);
	/* The grade in the Subject: the one thing a tester wants at a glance.
	 * Only our own grade names get in (the record is ours, but bounded). */
	const char *grade = rjson_str(rjson_obj(report, "grade"), "overall");
	static const char *const grades[] = { "A+", "A", "B", "C", "D", "F" };
	for (size_t g = 0; grade && g < sizeof(grades) / sizeof(grades[0]); g++)
		if (strcmp(grade, grades[g]) == 0)
			strbuf_printf(out, ": grade %s", grades[g]);
	rfc5322_date(now, date, sizeof(date));
	strbuf_printf(out, "\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n", date, token,
		      strrchr(from_addr, '@') + 1);
	if (reply_msgid_ok(msgid))
		strbuf_printf(out, "In-Reply-To: %s\r\nReferences: %s\r\n", msgid, msgid);
	/* The boundary holds the token: 128 random bits cannot occur in the
	 * parts by chance, and nothing in them starts a line with "--=_". */
	strbuf_printf(out, "Auto-Submitted: auto-replied\r\n"
		      "X-Auto-Response-Suppress: All\r\n"
		      "MIME-Version: 1.0\r\n"
		      "Content-Type: multipart/alternative; boundary=\"=_mxray_%s\"\r\n\r\n"
		      "This is a MIME message: a plain text and an HTML version.\r\n"
		      "--=_mxray_%s\r\n"
		      "Content-Type: text/plain; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 7bit\r\n\r\n", token, token);

	strbuf_printf(&body, "Your mxray report is ready:\n\n  %s/r/%s\n\n", cfg->base_url, token);
	if (expires)
		strbuf_printf(&body, "The report and everything mxray kept about your test mail "
			      "are deleted at %.40s (after %lld hours).\n\n", expires,
			      cfg->report_ttl_ms / 3600000);
	if (report_render_text(report, &summary) == 0)
		strbuf_puts(&body, summary.data);
	strbuf_printf(&body, "\n-- \nThis is an automatic reply to the test mail sent to mxray "
		      "from <%s>.\nThe full report, with every fact behind it, is at the link "
		      "above.\n", rcpt);
	body_lines(out, body.data);

	strbuf_t link = STRBUF_INIT, html = STRBUF_INIT, wrapped = STRBUF_INIT;
	strbuf_printf(&link, "%s/r/%s", cfg->base_url, token);
	reply_html(report, link.data, expires, &html);
	html_wrap(&wrapped, html.data);
	strbuf_printf(out, "\r\n--=_mxray_%s\r\n"
		      "Content-Type: text/html; charset=utf-8\r\n"
		      "Content-Transfer-Encoding: 7bit\r\n\r\n", token);
	body_lines(out, wrapped.data);
	strbuf_printf(out, "\r\n--=_mxray_%s--\r\n", token);
	strbuf_free(&link);
	strbuf_free(&html);
	strbuf_free(&wrapped);
	strbuf_free(&summary);
	strbuf_free(&body);
	if (cfg->mail_dkim_key && cfg->mail_dkim_key[0]) {
		strbuf_t m = STRBUF_INIT;
		strbuf_append(&m, out->data + start, out->len - start);
		if (reply_dkim_sign(cfg, strrchr(from_addr, '@') + 1, &m, err, errlen) != 0) {
			strbuf_free(&m);
			out->len = start;
			out->data[start] = '\0';
			return -1;
		}
		out->len = start;
		out->data[start] = '\0';
		strbuf_append(out, m.data, m.len);
		strbuf_free(&m);
	}
	return 0;
}

/* The message being read by libcurl. */
typedef struct upload {
	const char *p;
	size_t left;
} upload_t;

static size_t upload_read(char *buf, size_t size, size_t nitems, void *arg)
{
	upload_t *u = arg;
	size_t n = size * nitems < u->left ? size * nitems : u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* submit_smtp - one SMTP transaction through libcurl. */
static int submit_smtp(const char *url_base, const char *from_addr, const char *rcpt,
		       const char *msg, size_t len, char *err, size_t errlen)
{
	char url[512], mail_from[REPLY_ADDRESS_MAX + 3], rcpt_arg[REPLY_ADDRESS_MAX + 3];
	char curl_err[CURL_ERROR_SIZE] = "";
	const char *after_scheme = strstr(url_base, "://");

	/* libcurl takes the EHLO name from the URL path: use our own domain. */
	if (after_scheme && strchr(after_scheme + 3, '/') == NULL)
		snprintf(url, sizeof(url), "%s/%s", url_base, strrchr(from_addr, '@') + 1);
	else
		snprintf(url, sizeof(url), "%s", url_base);
	snprintf(mail_from, sizeof(mail_from), "<%s>", from_addr);
	snprintf(rcpt_arg, sizeof(rcpt_arg), "<%s>", rcpt);

	CURL *c = curl_easy_init();
	if (c == NULL) {
		snprintf(err, errlen, "libcurl: cannot create a handle");
		return -1;
	}
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt_arg);
	upload_t up = { msg, len };
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)REPLY_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REPLY_SUBMIT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "SMTP submission to %.200s failed: %s (last reply %ld)",
			 url_base, curl_err[0] ? curl_err : curl_easy_strerror(rc), code);
		return -1;
	}
	return 0;
}

/* submit_sendmail - run PATH -i -f FROM -- RCPT with msg on its stdin. */
static int submit_sendmail(const char *path, const char *from_addr, const char *rcpt,
			   const char *msg, size_t len, char *err, size_t errlen)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "sendmail: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "sendmail: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(127);
		execl(path, path, "-i", "-f", from_addr, "--", rcpt, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* sendmail(1) wants local line ends: drop the CRs of the canonical form. */
	int write_failed = 0, saved = 0;
	for (size_t i = 0; i < len && !write_failed;) {
		size_t n = 0;
		while (i + n < len && msg[i + n] != '\r')
			n++;
		while (n > 0) {
			ssize_t w = write(fds[1], msg + i, n);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				write_failed = 1;
				saved = errno;
				break;
			}
			i += (size_t)w;
			n -= (size_t)w;
		}
		if (i < len && msg[i] == '\r')
			i++;
	}
	close(fds[1]);

	int status = 0;
	long long deadline = clock_ms() + REPLY_SUBMIT_TIMEOUT_MS;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(err, errlen, "sendmail: waitpid: %s", strerror(errno));
			return -1;
		}
		if (clock_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, errlen, "%s did not finish within %d s: killed", path,
				 REPLY_SUBMIT_TIMEOUT_MS / 1000);
			return -1;
		}
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(err, errlen, "%s could not be run (exit 127): check [mail] submit", path);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s failed: %s %d", path,
			 WIFEXITED(status) ? "exit status" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	if (write_failed) {
		snprintf(err, errlen, "%s: writing the message: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}

int reply_submit(const mxray_config_t *cfg, const char *rcpt, const char *msg, size_t len,
		 char *err, size_t errlen)
{
	char from_addr[REPLY_ADDRESS_MAX + 1];
	const char *submit = cfg->mail_submit;

	if (!reply_address_ok(rcpt)) {
		snprintf(err, errlen, "recipient is not a plain mail address");
		return -1;
	}
	if (reply_from_address(cfg->mail_from, from_addr, sizeof(from_addr)) != 0) {
		snprintf(err, errlen, "[mail] from \"%.200s\" has no plain mail address",
			 cfg->mail_from);
		return -1;
	}
	if (strncmp(submit, "smtp://", 7) == 0 || strncmp(submit, "smtps://", 8) == 0)
		return submit_smtp(submit, from_addr, rcpt, msg, len, err, errlen);
	if (strncmp(submit, "sendmail:", 9) == 0 && submit[9] == '/')
		return submit_sendmail(submit + 9, from_addr, rcpt, msg, len, err, errlen);
	snprintf(err, errlen, "[mail] submit \"%.200s\" is neither smtp://HOST:PORT nor "
		 "sendmail:/PATH", submit);
	return -1;
}
