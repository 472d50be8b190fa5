/*
 * render_generic.c - escaped tables for facts without a layout of their
 * own (see render_generic.h).
 *
 * Trusts nothing in the value: every key and string goes through
 * strbuf_append_html. Limits: GENERIC_MAX_DEPTH levels of nesting and
 * GENERIC_MAX_ITEMS entries per object or array; the rest is counted,
 * not shown, so a hostile or huge record cannot blow up the page.
 */
#include <string.h>

#include "report/render_generic.h"

#define GENERIC_MAX_DEPTH 8
#define GENERIC_MAX_ITEMS 200

static void value_at(strbuf_t *out, const json_t *v, int depth);

/* is_known - 1 if key is in the NULL-terminated list. */
static int is_known(const char *key, const char *const known[])
{
	for (size_t i = 0; known && known[i]; i++)
		if (strcmp(key, known[i]) == 0)
			return 1;
	return 0;
}

static void object_rows(strbuf_t *out, const json_t *obj, const char *const known[], int depth)
{
	const char *key;
	json_t *v;
	size_t shown = 0, skipped = 0;
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "findings") == 0 || is_known(key, known))
			continue;
		if (shown >= GENERIC_MAX_ITEMS) {
			skipped++;
			continue;
		}
		strbuf_puts(out, "<tr><th><code>");
		strbuf_append_html(out, key);
		strbuf_puts(out, "</code></th><td>");
		value_at(out, v, depth + 1);
		strbuf_puts(out, "</td></tr>\n");
		shown++;
	}
	if (skipped)
		strbuf_printf(out, "<tr><th>&hellip;</th><td class=\"muted\">%zu more not shown</td></tr>\n",
			      skipped);
}

static size_t count_rows(const json_t *obj, const char *const known[])
{
	const char *key;
	json_t *v;
	size_t n = 0;
	json_object_foreach((json_t *)obj, key, v)
		if (strcmp(key, "findings") != 0 && !is_known(key, known))
			n++;
	return n;
}

static void value_at(strbuf_t *out, const json_t *v, int depth)
{
	if (depth > GENERIC_MAX_DEPTH) {
		strbuf_puts(out, "<span class=\"muted\">(nested too deep to show)</span>");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (count_rows(v, NULL) == 0) {
			strbuf_puts(out, "<span class=\"muted\">none</span>");
			return;
		}
		strbuf_puts(out, "<table class=\"facts\">\n");
		object_rows(out, v, NULL, depth);
		strbuf_puts(out, "</table>");
		return;
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (n == 0) {
			strbuf_puts(out, "<span class=\"muted\">none</span>");
			return;
		}
		strbuf_puts(out, "<ol class=\"facts\">");
		for (size_t i = 0; i < n && i < GENERIC_MAX_ITEMS; i++) {
			strbuf_puts(out, "<li>");
			value_at(out, json_array_get(v, i), depth + 1);
			strbuf_puts(out, "</li>");
		}
		strbuf_puts(out, "</ol>");
		if (n > GENERIC_MAX_ITEMS)
			strbuf_printf(out, "<span class=\"muted\">%zu more not shown</span>",
				      n - GENERIC_MAX_ITEMS);
		return;
	}
	case JSON_STRING:
		strbuf_puts(out, "<code>");
		strbuf_append_html(out, json_string_value(v));
		strbuf_puts(out, "</code>");
		return;
	case JSON_INTEGER:
		strbuf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	case JSON_REAL:
		strbuf_printf(out, "%g", json_real_value(v));
		return;
	case JSON_TRUE:
		strbuf_puts(out, "yes");
		return;
	case JSON_FALSE:
		strbuf_puts(out, "no");
		return;
	case JSON_NULL:
	default:
		strbuf_puts(out, "<span class=\"muted\">&ndash;</span>");
		return;
	}
}

void html_value(strbuf_t *out, const json_t *v)
{
	if (v != NULL)
		value_at(out, v, 0);
}

void html_more(strbuf_t *out, const json_t *obj, const char *const known[])
{
	if (!json_is_object(obj) || count_rows(obj, known) == 0)
		return;
	strbuf_puts(out, "<table class=\"facts more\">\n");
	object_rows(out, obj, known, 0);
	strbuf_puts(out, "</table>\n");
}
