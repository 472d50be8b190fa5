/*
 * headers.c - address counts, Authentication-Results and ARC fields (see
 * headers.h).
 *
 * Address fields go through the RFC 5322 parser of address.h. The rest
 * works on a copy with comments and quoted strings blanked out
 * first (strip_cfws), so a ';', ',', '=' or '@' inside them cannot split
 * or fake a field; an unterminated comment or quote blanks the rest.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/address.h"
#include "analysis/headers.h"
#include "base/log.h"
#include "mail/record.h"

/* strip_cfws - a copy of s with comments (nested) and, if quotes, quoted
 * strings replaced by spaces (backslash escapes honoured). */
static char *strip_cfws(const char *s, int quotes)
{
	char *out = strdup(s ? s : "");
	if (out == NULL)
		log_panic("headers: out of memory");
	int depth = 0, quoted = 0;
	for (char *p = out; *p; p++) {
		if (*p == '\\' && (depth || quoted) && p[1]) {
			p[0] = p[1] = ' ';
			p++;
			continue;
		}
		if (!quoted && *p == '(') {
			depth++;
			*p = ' ';
		} else if (!quoted && depth && *p == ')') {
			depth--;
			*p = ' ';
		} else if (!depth && quotes && *p == '"') {
			quoted = !quoted;
			*p = ' ';
		} else if (depth || quoted) {
			*p = ' ';
		}
	}
	return out;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

int header_mailbox_count(const char *value)
{
	address_list_t l;
	address_list_parse(value ? value : "", &l);
	int n = l.count > INT_MAX ? INT_MAX : (int)l.count;
	address_list_free(&l);
	return n;
}

/* results_into - the "method=result" items of the ';'-separated list
 * starting at p (already stripped) into arr, at most HEADERS_MAX_RESULTS. */
static void results_into(char *p, json_t *arr)
{
	char *save = NULL;
	for (char *item = strtok_r(p, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
		item = trim(item);
		char *eq = strchr(item, '=');
		if (eq == NULL || eq == item)
			continue;
		char method[64], result[64];
		size_t ml = strcspn(item, "= \t/");	/* method, without its /version */
		if (ml == 0 || ml >= sizeof(method))
			continue;
		memcpy(method, item, ml);
		method[ml] = '\0';
		char *r = trim(eq + 1);
		size_t rl = strcspn(r, " \t");
		if (rl == 0 || rl >= sizeof(result))
			continue;
		memcpy(result, r, rl);
		result[rl] = '\0';
		if (json_array_size(arr) >= HEADERS_MAX_RESULTS)
			break;
		json_t *o = json_object();
		record_set_text(o, "method", method);
		record_set_text(o, "result", result);
		json_array_append_new(arr, o);
	}
}

/* results_of - authserv-id [version] ; results, into o. 1 if it had an id
 * (or, without one, at least one result). */
static int results_of(char *s, json_t *o)
{
	json_t *arr = json_array();
	char *semi = strchr(s, ';');
	if (semi)
		*semi = '\0';
	char *id = trim(s);
	if (strchr(id, '=') != NULL) {
		/* no authserv-id (Microsoft 365 writes none): all results */
		if (semi)
			*semi = ';';
		record_set_text(o, "authserv_id", NULL);
		results_into(id, arr);
		json_object_set_new(o, "results", arr);
		return json_array_size(arr) > 0;
	}
	size_t idl = strcspn(id, " \t");	/* a version number may follow */
	id[idl] = '\0';
	int ok = id[0] != '\0';
	record_set_text(o, "authserv_id", ok ? id : NULL);
	if (semi)
		results_into(semi + 1, arr);
	json_object_set_new(o, "results", arr);
	return ok;
}

json_t *auth_results_parse(const char *value)
{
	json_t *o = json_object();
	record_set_text(o, "raw", value ? value : "");
	char *s = strip_cfws(value, 1);
	json_object_set_new(o, "parsed", json_boolean(results_of(s, o)));
	free(s);
	return o;
}

/* tag_value - the value of tag t in a DKIM-style tag list (no quotes,
 * comments stripped), copied into out; 1 if present. */
static int tag_value(const char *list, const char *t, char *out, size_t outlen)
{
	size_t tl = strlen(t);
	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncasecmp(p, t, tl) == 0) {
			const char *q = p + tl;
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=') {
				q++;
				while (*q == ' ' || *q == '\t')
					q++;
				size_t n = strcspn(q, "; \t");
				if (n >= outlen)
					n = outlen - 1;
				memcpy(out, q, n);
				out[n] = '\0';
				return 1;
			}
		}
		p = strchr(p, ';');
	}
	return 0;
}

json_t *arc_parse(const char *name, const char *value)
{
	json_t *o = json_object();
	record_set_text(o, "field", name);
	record_set_text(o, "raw", value ? value : "");
	int aar = strcasecmp(name, "ARC-Authentication-Results") == 0;
	char *s = strip_cfws(value, aar);
	char v[300];
	int parsed = 0;
	long inst = -1;
	if (tag_value(s, "i", v, sizeof(v))) {
		char *end;
		inst = strtol(v, &end, 10);
		if (*end != '\0' || inst < 1 || inst > 50)	/* RFC 8617 4.2.1: 1..50 */
			inst = -1;
	}
	json_object_set_new(o, "instance", inst > 0 ? json_integer(inst) : json_null());
	if (aar) {
		/* i=N; authserv-id; results */
		char *semi = strchr(s, ';');
		parsed = inst > 0 && semi != NULL && results_of(semi + 1, o);
	} else if (strcasecmp(name, "ARC-Seal") == 0) {
		record_set_text(o, "cv", tag_value(s, "cv", v, sizeof(v)) ? v : NULL);
		record_set_text(o, "domain", tag_value(s, "d", v, sizeof(v)) ? v : NULL);
		parsed = inst > 0 && json_is_string(json_object_get(o, "cv"));
	} else {
		record_set_text(o, "domain", tag_value(s, "d", v, sizeof(v)) ? v : NULL);
		record_set_text(o, "selector", tag_value(s, "s", v, sizeof(v)) ? v : NULL);
		parsed = inst > 0 && json_is_string(json_object_get(o, "domain"));
	}
	json_object_set_new(o, "parsed", json_boolean(parsed));
	free(s);
	return o;
}
