/*
 * render_html_smtp.c - the report page's view of what an MX address's
 * SMTP service offers: each EHLO extension with what it means for mail
 * sent to it (see render_html_parts.h). Keywords and parameters come from
 * the probed server and are escaped; the meanings are mxray's text.
 */
#include <stdio.h>
#include <string.h>

#include "report/render_html_parts.h"
#include "report/report_json.h"

/* What each extension mxray knows means to someone sending mail here. */
static const struct { const char *keyword, *field, *meaning, *missing; } known[] = {
	{ "STARTTLS", "starttls", "encryption can be started (RFC 3207)",
	  "no encryption: mail travels in plain text" },
	{ "PIPELINING", "pipelining", "commands can be sent in batches, saving round trips (RFC 2920)",
	  NULL },
	{ "8BITMIME", "8bitmime", "8-bit text is accepted without re-encoding (RFC 6152)",
	  "8-bit messages must be converted to 7 bits by senders" },
	{ "SMTPUTF8", "smtputf8", "internationalized addresses such as j\xc3\xb6rg@example.org are "
	  "accepted (RFC 6531)", "mail from or to non-ASCII addresses is refused" },
	{ "CHUNKING", "chunking", "large messages can be sent in chunks with BDAT (RFC 3030)", NULL },
	{ "BINARYMIME", "binarymime", "binary content is accepted as is (RFC 3030)", NULL },
	{ "DSN", "dsn", "senders can ask for delivery status notifications (RFC 3461)", NULL },
	{ "ENHANCEDSTATUSCODES", "enhancedstatuscodes", "errors carry detailed status codes such as "
	  "5.1.1 (RFC 2034, RFC 3463)", NULL },
	{ "REQUIRETLS", "requiretls", "senders can require that a message travel over verified TLS "
	  "all the way (RFC 8689)", NULL },
};

/* size_text - the SIZE limit in words. */
static void size_text(const json_t *ext, strbuf_t *out)
{
	long long limit;
	if (!rjson_int(ext, "size_limit", &limit)) {
		strbuf_puts(out, "SIZE announced with an invalid value (see the problems below)");
		return;
	}
	if (limit == 0) {
		strbuf_puts(out, "no fixed message size limit announced (RFC 1870)");
		return;
	}
	strbuf_printf(out, "messages up to %lld bytes (%.1f MB) are accepted; larger ones are "
		      "refused before they are sent (RFC 1870)", limit, (double)limit / 1e6);
}

void html_ehlo_extensions(const json_t *addr, strbuf_t *out)
{
	const json_t *ext = rjson_obj(addr, "extensions");
	const json_t *kws = rjson_arr(ext, "keywords");
	if (ext == NULL || kws == NULL)
		return;
	const char *from = rjson_str(ext, "from");
	int after_tls = from && strcmp(from, "ehlo_after_tls") == 0;
	strbuf_printf(out, "<h4>SMTP extensions%s</h4>\n", after_tls ? " (offered after STARTTLS)" : "");
	static const char *const cols[] = { "Extension", "Parameters", "What it means", NULL };
	html_table_columns(out, cols);
	for (size_t i = 0; i < json_array_size(kws); i++) {
		const json_t *k = json_array_get(kws, i);
		const char *kw = rjson_str(k, "keyword");
		if (kw == NULL)
			continue;
		strbuf_puts(out, "<tr><td><code>");
		html_text(out, kw);
		strbuf_puts(out, "</code></td><td>");
		if (rjson_str(k, "params"))
			html_code(out, rjson_str(k, "params"));
		strbuf_puts(out, "</td><td>");
		const char *meaning = NULL;
		for (size_t m = 0; m < sizeof(known) / sizeof(known[0]); m++)
			if (strcmp(kw, known[m].keyword) == 0)
				meaning = known[m].meaning;
		if (strcmp(kw, "SIZE") == 0)
			size_text(ext, out);
		else if (strcmp(kw, "AUTH") == 0)
			strbuf_puts(out, "clients can log in to submit mail (RFC 4954); a mail server "
				    "receiving from the internet does not need it here");
		else if (meaning)
			strbuf_puts(out, meaning);
		else
			strbuf_puts(out, "<span class=\"muted\">not an extension that changes how mail "
				    "is delivered here</span>");
		strbuf_puts(out, "</td></tr>\n");
	}
	/* What is missing matters too: say what senders cannot do here. */
	for (size_t m = 0; m < sizeof(known) / sizeof(known[0]); m++) {
		if (known[m].missing == NULL || rjson_bool(ext, known[m].field) != 0)
			continue;
		if (after_tls && strcmp(known[m].field, "starttls") == 0)
			continue;	/* not offered again inside TLS (RFC 3207 4.2) */
		strbuf_puts(out, "<tr><td><code>");
		html_text(out, known[m].keyword);
		strbuf_puts(out, "</code></td><td class=\"warn\">not offered</td><td>");
		strbuf_puts(out, known[m].missing);
		strbuf_puts(out, "</td></tr>\n");
	}
	strbuf_puts(out, "</table>\n");
	const json_t *problems = rjson_arr(ext, "problems");
	if (problems && json_array_size(problems) > 0) {
		strbuf_puts(out, "<p class=\"warn\">Extension lines that do not follow RFC 5321:</p>\n");
		html_string_list(out, problems);
	}
}
