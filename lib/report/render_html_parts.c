/*
 * render_html_parts.c - the building blocks of the report page (see
 * render_html_parts.h).
 */
#include <string.h>

#include "report/render_html_parts.h"

void html_text(strbuf_t *out, const char *s)
{
	if (s == NULL)
		strbuf_puts(out, "<span class=\"muted\">&ndash;</span>");
	else
		strbuf_append_html(out, s);
}

void html_row_start(strbuf_t *out, const char *label, const char *cls)
{
	strbuf_printf(out, "<tr><th>%s</th><td%s%s%s>", label, cls ? " class=\"" : "",
		      cls ? cls : "", cls ? "\"" : "");
}

void html_row_end(strbuf_t *out)
{
	strbuf_puts(out, "</td></tr>\n");
}

void html_row_text(strbuf_t *out, const char *label, const char *value, const char *cls)
{
	html_row_start(out, label, cls);
	html_text(out, value);
	html_row_end(out);
}

const char *html_result_class(const char *r)
{
	if (r == NULL)
		return NULL;
	if (strcmp(r, "pass") == 0 || strcmp(r, "ok") == 0 || strcmp(r, "secure") == 0 ||
	    strcmp(r, "tested") == 0 || strcmp(r, "valid") == 0)
		return "ok";
	if (strcmp(r, "fail") == 0 || strcmp(r, "permerror") == 0 || strcmp(r, "bogus") == 0 ||
	    strcmp(r, "failed") == 0 || strcmp(r, "not_offered") == 0 ||
	    strcmp(r, "refused") == 0 || strcmp(r, "mismatch") == 0 || strcmp(r, "invalid") == 0)
		return "bad";
	return "warn";
}

void html_bool(strbuf_t *out, int b, const char *yes, const char *no)
{
	if (b == 1)
		strbuf_printf(out, "<span class=\"ok\">%s</span>", yes);
	else if (b == 0)
		strbuf_printf(out, "<span class=\"bad\">%s</span>", no);
	else
		strbuf_puts(out, "<span class=\"muted\">unknown</span>");
}

void html_string_list(strbuf_t *out, const json_t *arr)
{
	size_t n = arr ? json_array_size(arr) : 0, shown = 0;
	strbuf_puts(out, "<ul>");
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		if (s == NULL)
			continue;
		strbuf_puts(out, "<li><code>");
		strbuf_append_html(out, s);
		strbuf_puts(out, "</code></li>");
		shown++;
	}
	if (shown == 0)
		strbuf_puts(out, "<li class=\"muted\">none</li>");
	strbuf_puts(out, "</ul>\n");
}

void html_table_columns(strbuf_t *out, const char *const cols[])
{
	strbuf_puts(out, "<table class=\"facts\"><tr class=\"cols\">");
	for (size_t i = 0; cols[i]; i++)
		strbuf_printf(out, "<th>%s</th>", cols[i]);
	strbuf_puts(out, "</tr>\n");
}

void html_code(strbuf_t *out, const char *s)
{
	strbuf_puts(out, "<code>");
	html_text(out, s);
	strbuf_puts(out, "</code>");
}
