/*
 * tlsrpt.c - the _smtp._tls record (see tlsrpt.h).
 *
 * RFC 8460 3: tlsrpt-record = tlsrpt-version 1*(field-delim tlsrpt-field)
 * [field-delim]; version "v=TLSRPTv1" first; rua= a comma-separated list
 * of mailto: or https: URIs, required; other well-formed fields are
 * extensions, ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"
#include "probe/tlsrpt.h"
#include "probe/txt.h"

static void problem(json_t *problems, const char *what, const char *text)
{
	char *p = text_printable(text, strlen(text), 200);
	char buf[400];
	snprintf(buf, sizeof(buf), "%s: \"%s\"", what, p);
	json_array_append_new(problems, json_string(buf));
	free(p);
}

/* uri_ok - "mailto:" with an @ or "https://" with a host; no spaces. */
static int uri_ok(const char *u)
{
	for (const char *p = u; *p; p++)
		if (!isgraph((unsigned char)*p))
			return 0;
	if (strncasecmp(u, "mailto:", 7) == 0) {
		const char *at = strchr(u + 7, '@');
		return at != NULL && at > u + 7 && at[1] != '\0';
	}
	if (strncasecmp(u, "https://", 8) == 0)
		return u[8] != '\0' && u[8] != '/';
	return 0;
}

json_t *tlsrpt_parse(const char *txt, size_t len)
{
	json_t *problems = json_array(), *rua = json_array();
	int n = 0, have_rua = 0;

	if (memchr(txt, '\0', len) != NULL) {
		json_array_append_new(problems, json_string("the record holds a NUL byte"));
		goto out;
	}
	char *copy = strndup(txt, len), *save = NULL, *f;
	if (copy == NULL)
		log_panic("tlsrpt_parse: out of memory");
	for (f = strtok_r(copy, ";", &save); f; f = strtok_r(NULL, ";", &save), n++) {
		char *field = text_trim(f), *eq = strchr(field, '=');
		if (eq == NULL) {
			problem(problems, "field without '='", field);
			continue;
		}
		*eq = '\0';
		char *key = text_trim(field), *val = text_trim(eq + 1);
		if (n == 0) {
			if (strcmp(key, "v") != 0 || strcmp(val, "TLSRPTv1") != 0)
				problem(problems, "the record must start with v=TLSRPTv1", key);
			continue;
		}
		if (strcmp(key, "rua") != 0)
			continue;	/* extension */
		if (have_rua++) {
			problem(problems, "rua given twice", val);
			continue;
		}
		char *s2 = NULL, *u;
		for (u = strtok_r(val, ",", &s2); u; u = strtok_r(NULL, ",", &s2)) {
			u = text_trim(u);
			if (!uri_ok(u))
				problem(problems, "rua must list mailto: or https: URIs", u);
			else if (json_array_size(rua) < TLSRPT_RUA_MAX)
				json_array_append_new(rua, record_text(u, strlen(u)));
		}
	}
	free(copy);
	if (n == 0)
		json_array_append_new(problems, json_string("empty record"));
	else if (!have_rua)
		json_array_append_new(problems, json_string("no rua= field (where to send reports)"));
out:;
	json_t *o = json_object();
	json_object_set_new(o, "valid", json_boolean(json_array_size(problems) == 0));
	json_object_set_new(o, "rua", rua);
	json_object_set_new(o, "problems", problems);
	return o;
}

json_t *tlsrpt_check(resolver_t *r, const char *domain)
{
	json_t *d = json_object();
	char name[300], err[256];
	txt_answer_t txt;
	const char *outcome;

	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	record_set_text(d, "record_name", name);
	json_object_set_new(d, "record", json_null());
	json_object_set_new(d, "rua", json_array());
	json_object_set_new(d, "problems", json_array());
	if (txt_lookup(r, name, &txt, err, sizeof(err)) != 0) {
		json_object_set_new(d, "outcome", json_string("temperror"));
		record_set_text(d, "reason", err);
		return d;
	}
	json_object_set_new(d, "dnssec", json_string(dnssec_status_name(txt.dnssec)));
	size_t found = 0, which = 0;
	for (size_t i = 0; i < txt.count; i++)
		if (txt.lengths[i] >= 10 && strncmp(txt.records[i], "v=TLSRPTv1", 10) == 0) {
			found++;
			which = i;
		}
	if (txt.dnssec == DNSSEC_BOGUS || txt.outcome == DNS_SERVFAIL) {
		outcome = "temperror";
	} else if (found == 0) {
		outcome = "none";
		finding_add(d, "tlsrpt.none", domain, NULL);
	} else if (found > 1) {
		outcome = "invalid";
		json_array_append_new(json_object_get(d, "problems"),
				      json_string("more than one v=TLSRPTv1 record"));
		finding_add(d, "tlsrpt.invalid", domain, "%zu v=TLSRPTv1 records", found);
	} else {
		json_object_set_new(d, "record", record_text(txt.records[which], txt.lengths[which]));
		json_t *p = tlsrpt_parse(txt.records[which], txt.lengths[which]);
		json_object_set(d, "problems", json_object_get(p, "problems"));
		if (json_is_true(json_object_get(p, "valid"))) {
			outcome = "valid";
			json_object_set(d, "rua", json_object_get(p, "rua"));
			finding_add(d, "tlsrpt.valid", domain, "reports to %zu address(es)",
				    json_array_size(json_object_get(p, "rua")));
		} else {
			outcome = "invalid";
			char *s = probe_join(json_object_get(p, "problems"));
			finding_add(d, "tlsrpt.invalid", domain, "%s", s);
			free(s);
		}
		json_decref(p);
	}
	json_object_set_new(d, "outcome", json_string(outcome));
	txt_answer_clear(&txt);
	return d;
}
