/*
 * ehlo.c - EHLO extension lines parsed into facts (see ehlo.h).
 *
 * Trusts nothing in the lines: each is split and checked against the RFC
 * 5321 keyword grammar before anything is read from it; numbers are
 * bounded before they are converted.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/record.h"
#include "probe/ehlo.h"

#define KEYWORD_MAX 64		/* longer is no keyword anyone defined */
#define AUTH_MECHANISMS_MAX 20
#define SIZE_DIGITS_MAX 15	/* a petabyte; more is a problem, not a number */

/* The extensions that are reported as a true/false fact of their own. */
static const struct { const char *keyword, *field; } flags[] = {
	{ "PIPELINING", "pipelining" },
	{ "8BITMIME", "8bitmime" },
	{ "SMTPUTF8", "smtputf8" },
	{ "CHUNKING", "chunking" },
	{ "BINARYMIME", "binarymime" },
	{ "DSN", "dsn" },
	{ "ENHANCEDSTATUSCODES", "enhancedstatuscodes" },
	{ "REQUIRETLS", "requiretls" },
	{ "STARTTLS", "starttls" },
};

/* keyword_ok - RFC 5321: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
static int keyword_ok(const char *k, size_t n)
{
	if (n == 0 || n > KEYWORD_MAX || !isalnum((unsigned char)k[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '-')
			return 0;
	return 1;
}

static void problem(json_t *out, size_t line, const char *what, const char *text)
{
	char buf[400];
	snprintf(buf, sizeof(buf), "line %zu: %s: \"%.200s\"", line, what, text);
	json_array_append_new(json_object_get(out, "problems"), json_string(buf));
}

/* size_param - RFC 1870: SIZE [number]; 0 or no number: no fixed limit. */
static void size_param(json_t *out, size_t line, const char *text, const char *params)
{
	size_t n = strlen(params);
	if (n == 0) {
		json_object_set_new(out, "size_limit", json_integer(0));
		return;
	}
	if (n > SIZE_DIGITS_MAX || strspn(params, "0123456789") != n) {
		problem(out, line, "SIZE takes a number of bytes", text);
		return;
	}
	json_object_set_new(out, "size_limit", json_integer((json_int_t)strtoll(params, NULL, 10)));
}

/* auth_params - the mechanisms after AUTH (or the old "AUTH=" form). */
static void auth_params(json_t *out, const char *params)
{
	json_t *mechs = json_object_get(out, "auth");
	if (!json_is_array(mechs)) {
		mechs = json_array();
		json_object_set_new(out, "auth", mechs);
	}
	const char *p = params;
	while (*p && json_array_size(mechs) < AUTH_MECHANISMS_MAX) {
		size_t n = strcspn(p, " ");
		if (n > 0 && n <= KEYWORD_MAX) {
			char m[KEYWORD_MAX + 1];
			for (size_t i = 0; i < n; i++)
				m[i] = (char)toupper((unsigned char)p[i]);
			m[n] = '\0';
			int seen = 0;
			size_t i;
			json_t *v;
			json_array_foreach(mechs, i, v)
				seen |= strcmp(json_string_value(v), m) == 0;
			if (!seen)
				json_array_append_new(mechs, record_text(m, n));
		}
		p += n;
		p += strspn(p, " ");
	}
}

json_t *ehlo_extensions(const json_t *lines, const char *from)
{
	json_t *out = json_object();
	json_t *kws = json_array(), *other = json_array();
	json_object_set_new(out, "from", json_string(from ? from : "ehlo"));
	json_object_set_new(out, "keywords", kws);
	json_object_set_new(out, "size_limit", json_null());
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
		json_object_set_new(out, flags[f].field, json_false());
	json_object_set_new(out, "auth", json_null());
	json_object_set_new(out, "other", other);
	json_object_set_new(out, "problems", json_array());

	size_t i;
	json_t *v;
	json_array_foreach(lines, i, v) {
		const char *text = json_string_value(v);
		if (text == NULL)
			continue;
		if (i >= EHLO_EXTENSIONS_MAX) {
			problem(out, i + 2, "more extension lines than mxray reads", text);
			break;
		}
		size_t line = i + 2;	/* the reply's first line is the greeting name */
		size_t kn = strcspn(text, " =");
		int legacy_auth = text[kn] == '=' && kn == 4 && strncasecmp(text, "AUTH", 4) == 0;
		if (!keyword_ok(text, kn) || (text[kn] == '=' && !legacy_auth)) {
			problem(out, line, "not an EHLO keyword", text);
			continue;
		}
		char kw[KEYWORD_MAX + 1];
		for (size_t k = 0; k < kn; k++)
			kw[k] = (char)toupper((unsigned char)text[k]);
		kw[kn] = '\0';
		const char *params = text + kn + (text[kn] != '\0');
		params += strspn(params, " ");
		json_t *entry = json_pack("{ss}", "keyword", kw);
		json_object_set_new(entry, "params", params[0] ? record_text(params, strlen(params))
								 : json_null());
		json_array_append_new(kws, entry);

		int known = 0;
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
			if (strcmp(kw, flags[f].keyword) == 0) {
				json_object_set_new(out, flags[f].field, json_true());
				known = 1;
			}
		if (strcmp(kw, "SIZE") == 0) {
			size_param(out, line, text, params);
			known = 1;
		} else if (strcmp(kw, "AUTH") == 0) {
			auth_params(out, params);
			known = 1;
		}
		if (!known)
			json_array_append_new(other, json_string(kw));
	}
	return out;
}
