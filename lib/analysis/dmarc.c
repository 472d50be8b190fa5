/*
 * dmarc.c - DMARC record discovery, parsing and alignment (see dmarc.h).
 *
 * Trusts nothing in a record: tags are bounded, unknown tags are kept as
 * problems to show, and a record without a valid p= is not a policy.
 */
#include <arpa/nameser.h>
#include <ctype.h>
#include <libpsl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/address.h"
#include "analysis/dmarc.h"
#include "base/text.h"
#include "mail/finding.h"
#include "mail/record.h"

#define DMARC_RECORD_MAX 2048

char *dmarc_org_domain(const char *domain)
{
	char *lower = text_lower(strdup(domain));
	size_t n = strlen(lower);
	if (n > 0 && lower[n - 1] == '.')
		lower[n - 1] = '\0';
	const char *reg = psl_registrable_domain(psl_builtin(), lower);
	char *out = strdup(reg ? reg : lower);
	free(lower);
	return out;
}

int dmarc_aligned(const char *a, const char *b, int strict)
{
	if (a == NULL || b == NULL)
		return 0;
	if (strict)
		return strcasecmp(a, b) == 0;
	char *oa = dmarc_org_domain(a), *ob = dmarc_org_domain(b);
	int same = strcmp(oa, ob) == 0;
	free(oa);
	free(ob);
	return same;
}

__attribute__((format(printf, 2, 3)))
static void problem(json_t *obj, const char *fmt, ...)
{
	json_t *list = json_object_get(obj, "problems");
	if (!json_is_array(list)) {
		list = json_array();
		json_object_set_new(obj, "problems", list);
	}
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(list, record_text(buf, strlen(buf)));
}

/* uri_list - "mailto:a@x,mailto:b@y" into a JSON array of printable URIs. */
static json_t *uri_list(const char *v)
{
	json_t *arr = json_array();
	char *copy = strdup(v), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, record_text(text_trim(t), strlen(text_trim(t))));
	free(copy);
	return arr;
}

int dmarc_parse(const char *record, json_t *obj)
{
	char *copy = strdup(record), *save = NULL;
	int first = 1, have_p = 0, bad = 0;
	for (char *t = strtok_r(copy, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
		char *tag = text_trim(t);
		if (*tag == '\0')
			continue;
		char *eq = strchr(tag, '=');
		if (eq == NULL) {
			problem(obj, "\"%s\" is not tag=value", tag);
			bad = 1;
			continue;
		}
		*eq = '\0';
		char *name = text_lower(text_trim(tag)), *value = text_trim(eq + 1);
		if (first) {
			first = 0;
			if (strcmp(name, "v") != 0 || strcmp(value, "DMARC1") != 0) {
				problem(obj, "%s", "the record must start with v=DMARC1");
				bad = 1;
			}
			continue;
		}
		if (strcmp(name, "p") == 0 || strcmp(name, "sp") == 0 || strcmp(name, "np") == 0) {
			text_lower(value);
			if (strcmp(value, "none") && strcmp(value, "quarantine") && strcmp(value, "reject")) {
				problem(obj, "policy \"%s\" is not none, quarantine or reject", value);
				bad = 1;
				continue;
			}
			json_object_set_new(obj, strcmp(name, "p") == 0 ? "policy"
						 : strcmp(name, "sp") == 0 ? "subdomain_policy"
									   : "nonexistent_policy",
					    json_string(value));
			have_p |= strcmp(name, "p") == 0;
		} else if (strcmp(name, "adkim") == 0 || strcmp(name, "aspf") == 0) {
			text_lower(value);
			if (strcmp(value, "r") && strcmp(value, "s")) {
				problem(obj, "alignment mode \"%s\" is not r or s", value);
				bad = 1;
				continue;
			}
			json_object_set_new(obj, name, json_string(strcmp(value, "s") == 0 ? "strict" : "relaxed"));
		} else if (strcmp(name, "pct") == 0) {
			char *end;
			long pct = strtol(value, &end, 10);
			if (*value == '\0' || *end || pct < 0 || pct > 100) {
				problem(obj, "pct=%s is not 0 to 100", value);
				bad = 1;
				continue;
			}
			json_object_set_new(obj, "pct", json_integer(pct));
		} else if (strcmp(name, "rua") == 0 || strcmp(name, "ruf") == 0) {
			json_object_set_new(obj, name, uri_list(value));
		} else if (strcmp(name, "fo") == 0 || strcmp(name, "rf") == 0 || strcmp(name, "ri") == 0) {
			json_object_set_new(obj, name, record_text(value, strlen(value)));
		} else {
			problem(obj, "unknown tag \"%s\" (ignored)", name);
		}
	}
	free(copy);
	if (!have_p) {
		problem(obj, "%s", "no valid p= tag: this is not a usable DMARC policy");
		bad = 1;
	}
	if (!json_object_get(obj, "adkim"))
		json_object_set_new(obj, "adkim", json_string("relaxed"));
	if (!json_object_get(obj, "aspf"))
		json_object_set_new(obj, "aspf", json_string("relaxed"));
	if (!json_object_get(obj, "pct"))
		json_object_set_new(obj, "pct", json_integer(100));
	return bad ? -1 : 0;
}

/* txt_string - the concatenated character-strings of one TXT rdata. */
static char *txt_string(const unsigned char *d, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t n = d[i++];
		if (i + n > len)
			break;
		memcpy(out + o, d + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* lookup_at - the DMARC records at _dmarc.<name>: 1 found (exactly one),
 * 0 none, -1 temperror, -2 several (RFC 7489 6.6.3: discovery ends, no
 * policy); sets *record (malloc'd) and dnssec. */
static int lookup_at(const analysis_dns_t *dns, const char *name, char **record, json_t *obj)
{
	char q[300], err[256];
	snprintf(q, sizeof(q), "_dmarc.%s", name);
	dns_answer_t *a = NULL;
	if (dns->query(dns->arg, q, ns_t_txt, &a, err, sizeof(err)) != 0 || a == NULL)
		return -1;
	int rc = 0;
	if (a->dnssec == DNSSEC_BOGUS || a->outcome == DNS_SERVFAIL) {
		rc = -1;
	} else if (a->outcome == DNS_OK) {
		int found = 0;
		for (size_t i = 0; i < a->count; i++) {
			char *t = txt_string(a->rdata[i].data, a->rdata[i].len);
			if (strncasecmp(t, "v=DMARC1", 8) == 0 && (t[8] == ';' || t[8] == ' ' || t[8] == '\0')) {
				if (++found == 1 && strlen(t) <= DMARC_RECORD_MAX)
					*record = t;
				else
					free(t);
			} else {
				free(t);
			}
		}
		if (found > 1) {
			problem(obj, "%d v=DMARC1 records at _dmarc.%s: receivers ignore them all and "
				"apply no DMARC policy (RFC 7489 6.6.3)", found, name);
			free(*record);
			*record = NULL;
			rc = -2;
		} else {
			rc = found ? 1 : 0;
		}
		if (rc)
			json_object_set_new(obj, "dnssec", json_string(dnssec_status_name(a->dnssec)));
	}
	dns_answer_free(a);
	return rc;
}

/* report_authorized - RFC 7489 7.1: may reports about domain go to
 * dest? 1 yes (a v=DMARC1 record at <domain>._report._dmarc.<dest>), 0 no,
 * -1 the lookup failed. */
static int report_authorized(const analysis_dns_t *dns, const char *domain, const char *dest)
{
	char q[600], err[256];
	if (snprintf(q, sizeof(q), "%s._report._dmarc.%s", domain, dest) >= (int)sizeof(q))
		return 0;
	dns_answer_t *a = NULL;
	if (dns->query(dns->arg, q, ns_t_txt, &a, err, sizeof(err)) != 0 || a == NULL)
		return -1;
	int rc = 0;
	if (a->dnssec == DNSSEC_BOGUS || a->outcome == DNS_SERVFAIL) {
		rc = -1;
	} else if (a->outcome == DNS_OK) {
		for (size_t i = 0; i < a->count && rc == 0; i++) {
			char *t = txt_string(a->rdata[i].data, a->rdata[i].len);
			rc = strncasecmp(t, "v=DMARC1", 8) == 0;
			free(t);
		}
	}
	dns_answer_free(a);
	return rc;
}

/* check_report_destinations - every mailto: of rua and ruf outside the
 * policy domain's organizational domain must authorize it; the outcome in
 * obj["report_destinations"], a finding for each one that does not. */
static void check_report_destinations(const analysis_dns_t *dns, json_t *obj, const char *where)
{
	char *org = dmarc_org_domain(where);
	json_t *out = json_array();
	const char *tags[] = { "rua", "ruf" };
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *u;
		json_array_foreach(json_object_get(obj, tags[k]), i, u) {
			const char *uri = json_string_value(u);
			const char *at = uri ? strrchr(uri, '@') : NULL;
			if (uri == NULL || strncasecmp(uri, "mailto:", 7) != 0 || at == NULL || i >= 8)
				continue;
			char dest[256];
			size_t n = strcspn(at + 1, "!, ");	/* "!10m" size limit */
			if (n == 0 || n >= sizeof(dest))
				continue;
			memcpy(dest, at + 1, n);
			dest[n] = '\0';
			text_lower(dest);
			char *dorg = dmarc_org_domain(dest);
			int external = strcasecmp(dorg, org) != 0;
			free(dorg);
			json_t *d = json_object();
			record_set_text(d, "tag", tags[k]);
			record_set_text(d, "uri", uri);
			record_set_text(d, "destination", dest);
			json_object_set_new(d, "external", json_boolean(external));
			if (!external) {
				json_object_set_new(d, "authorized", json_true());
			} else {
				int a = report_authorized(dns, where, dest);
				json_object_set_new(d, "authorized", a < 0 ? json_null() : json_boolean(a));
				if (a == 0)
					finding_add(obj, "dmarc.report_destination_unauthorized", where,
						    "%s=%s: no v=DMARC1 record at %s._report._dmarc.%s",
						    tags[k], uri, where, dest);
			}
			json_array_append_new(out, d);
		}
	}
	json_object_set_new(obj, "report_destinations", out);
	free(org);
}

json_t *dmarc_lookup(const analysis_dns_t *dns, const char *domain)
{
	json_t *obj = json_object();
	record_set_text(obj, "domain", domain);
	char *record = NULL, *org = dmarc_org_domain(domain);
	const char *where = domain;
	int rc = lookup_at(dns, domain, &record, obj);
	if (rc == 0 && strcasecmp(org, domain) != 0) {
		where = org;
		rc = lookup_at(dns, org, &record, obj);
	}
	if (rc == -2) {
		/* no fallback to the organizational domain: discovery ended here */
		json_object_set_new(obj, "outcome", json_string("invalid"));
		record_set_text(obj, "record_domain", where);
	} else if (rc < 0) {
		json_object_set_new(obj, "outcome", json_string("temperror"));
	} else if (rc == 0) {
		json_object_set_new(obj, "outcome", json_string("none"));
	} else {
		json_object_set_new(obj, "outcome", json_string("found"));
		record_set_text(obj, "record_domain", where);
		record_set_text(obj, "record", record);
		if (dmarc_parse(record, obj) != 0)
			json_object_set_new(obj, "outcome", json_string("invalid"));
		check_report_destinations(dns, obj, where);
	}
	free(record);
	free(org);
	return obj;
}

/* alignment_name - how identifier domain d aligns with the From domain:
 * "strict" (the same name), "relaxed" (the same organizational domain
 * only) or "none". */
static const char *alignment_name(const char *d, const char *from_domain)
{
	if (d == NULL)
		return "none";
	if (dmarc_aligned(d, from_domain, 1))
		return "strict";
	return dmarc_aligned(d, from_domain, 0) ? "relaxed" : "none";
}

/* counts_for - an alignment meets the record's mode (adkim=/aspf=). */
static int counts_for(const char *alignment, int strict)
{
	return strcmp(alignment, "strict") == 0 || (!strict && strcmp(alignment, "relaxed") == 0);
}

/* domain_exists - RFC 9091 2.1: 0 when A, AAAA and MX all answer NXDOMAIN
 * or NODATA (a non-existent domain), 1 when any has data, -1 when any
 * lookup failed or was bogus (unknown: np= is not applied). */
static int domain_exists(const analysis_dns_t *dns, const char *domain)
{
	static const int types[] = { ns_t_a, ns_t_aaaa, ns_t_mx };
	int unknown = 0;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char err[256];
		dns_answer_t *a = NULL;
		if (dns->query(dns->arg, domain, types[i], &a, err, sizeof(err)) != 0 || a == NULL) {
			unknown = 1;
			continue;
		}
		if (a->dnssec == DNSSEC_BOGUS || a->outcome == DNS_SERVFAIL)
			unknown = 1;
		else if (a->outcome == DNS_OK && a->count > 0) {
			dns_answer_free(a);
			return 1;
		}
		dns_answer_free(a);
	}
	return unknown ? -1 : 0;
}

/* no_author_domain - the evaluation of a message whose From gives no one
 * domain (RFC 7489 6.6.1): nothing to look up; receivers typically
 * reject such mail. */
static json_t *no_author_domain(const char *why)
{
	json_t *d = json_object();
	json_object_set_new(d, "domain", json_null());
	json_object_set_new(d, "outcome", json_null());
	json_object_set_new(d, "spf_aligned", json_false());
	json_object_set_new(d, "dkim_aligned", json_false());
	json_object_set_new(d, "dkim_signatures", json_array());
	json_object_set_new(d, "result", json_string("permerror"));
	record_set_text(d, "reason", why);
	return d;
}

json_t *dmarc_evaluate(const analysis_dns_t *dns, const json_t *message)
{
	const char *from = json_string_value(json_object_get(message, "from"));
	char why[300] = "the message has no From field";
	char *from_domain = from ? address_author_domain(from, why, sizeof(why)) : NULL;
	if (from_domain == NULL)
		return no_author_domain(why);
	json_t *d = dmarc_lookup(dns, from_domain);
	const char *outcome = json_string_value(json_object_get(d, "outcome"));
	int strict_spf = strcmp(json_string_value(json_object_get(d, "aspf")) ?: "", "strict") == 0;
	int strict_dkim = strcmp(json_string_value(json_object_get(d, "adkim")) ?: "", "strict") == 0;

	/* SPF: the MAIL FROM (or HELO) identity's domain against From */
	json_t *spf = json_object_get(message, "spf");
	const char *spf_result = json_string_value(json_object_get(spf, "result")) ?: "";
	const char *spf_al = alignment_name(json_string_value(json_object_get(spf, "domain")), from_domain);
	int spf_counts = counts_for(spf_al, strict_spf);
	int spf_aligned = spf_counts && strcmp(spf_result, "pass") == 0;
	int temp = spf_counts && strcmp(spf_result, "temperror") == 0;
	char temp_why[300] = "";
	if (temp)
		snprintf(temp_why, sizeof(temp_why), "SPF of the aligned envelope domain had a temporary error");
	json_object_set_new(d, "spf_alignment", json_string(spf_al));

	/* DKIM: every signature on its own (RFC 7489 3.1.1, 4.2) */
	int dkim_aligned = 0;
	json_t *sigs = json_array();
	size_t i;
	json_t *sig;
	json_array_foreach(json_object_get(message, "dkim"), i, sig) {
		const char *sd = json_string_value(json_object_get(sig, "domain"));
		const char *r = json_string_value(json_object_get(sig, "result")) ?: "";
		const char *al = alignment_name(sd, from_domain);
		int counts = counts_for(al, strict_dkim);
		int passes = counts && strcmp(r, "pass") == 0;
		dkim_aligned |= passes;
		if (counts && strcmp(r, "temperror") == 0 && !temp) {
			temp = 1;
			snprintf(temp_why, sizeof(temp_why),
				 "the DKIM signature of aligned d=%.200s had a temporary error", sd ? sd : "?");
		}
		json_t *o = json_object();
		record_set_text(o, "domain", sd);
		record_set_text(o, "selector", json_string_value(json_object_get(sig, "selector")));
		record_set_text(o, "result", r);
		json_object_set_new(o, "alignment", json_string(al));
		/* counts toward DMARC: passes and aligned as the adkim= mode asks */
		json_object_set_new(o, "aligned", json_boolean(counts));
		json_object_set_new(o, "counts", json_boolean(passes));
		json_array_append_new(sigs, o);
	}
	json_object_set_new(d, "dkim_signatures", sigs);
	json_object_set_new(d, "spf_aligned", json_boolean(spf_aligned));
	json_object_set_new(d, "dkim_aligned", json_boolean(dkim_aligned));

	const char *result = "none";
	const char *reason = NULL;
	char buf[400];
	if (strcmp(outcome, "temperror") == 0) {
		result = "temperror";
		reason = "the DMARC record could not be looked up (DNS failure or DNSSEC bogus)";
	} else if (strcmp(outcome, "invalid") == 0) {
		result = "permerror";
		reason = "the DMARC record is not usable, so no policy applies (see problems)";
	} else if (strcmp(outcome, "found") == 0) {
		if (spf_aligned || dkim_aligned) {
			result = "pass";
		} else if (temp) {
			/* RFC 7489 6.6.2: an aligned identifier that could not be
			 * checked may still pass on a retry; no policy is applied. */
			result = "temperror";
			snprintf(buf, sizeof(buf), "%s and nothing aligned passed: a retry may pass", temp_why);
			reason = buf;
		} else {
			result = "fail";
			snprintf(buf, sizeof(buf), "no passing identifier aligned with %.200s (%s): SPF %s "
				 "(%s alignment), %zu DKIM signature(s), none passing and aligned",
				 from_domain, strict_dkim || strict_spf ? "strict mode in part" : "relaxed",
				 spf_result[0] ? spf_result : "not evaluated", spf_al,
				 json_array_size(json_object_get(d, "dkim_signatures")));
			reason = buf;
		}
	} else {
		snprintf(buf, sizeof(buf), "neither _dmarc.%.200s nor its organizational domain publishes a DMARC record",
			 from_domain);
		reason = buf;
	}
	json_object_set_new(d, "result", json_string(result));
	record_set_text(d, "reason", reason);
	if (strcmp(result, "fail") == 0) {
		/* A subdomain without a record of its own gets the organizational
		 * record's sp=, and np= when it does not exist (RFC 9091). */
		const char *rd = json_string_value(json_object_get(d, "record_domain"));
		const char *p = json_string_value(json_object_get(d, "policy")) ?: "none";
		const char *sp = json_string_value(json_object_get(d, "subdomain_policy"));
		const char *np = json_string_value(json_object_get(d, "nonexistent_policy"));
		const char *applied = p;
		if (rd && strcasecmp(rd, from_domain) != 0) {
			int exists = domain_exists(dns, from_domain);
			json_object_set_new(d, "from_domain_exists", exists < 0 ? json_null() : json_boolean(exists));
			applied = exists == 0 && np ? np : sp ? sp : p;
		}
		json_object_set_new(d, "applied_policy", json_string(applied));
	}
	free(from_domain);
	return d;
}
