/*
 * render_html_dns.c - the report page's view of what DNS says about the
 * domain and its MX hosts: TLSA records and the DANE match (RFC 7672),
 * CAA (RFC 8659), reverse DNS, DMARC records and their report
 * destinations (RFC 7489), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).
 * An admin reads these to fix a record, so each record is shown as
 * served, field by field, next to the verdict (see render_html_parts.h).
 */
#include <string.h>

#include "report/render_generic.h"
#include "report/render_html_parts.h"
#include "report/report_json.h"

const char *const html_known_dmarc[] = { "domain", "outcome", "record", "record_domain", "dnssec",
	"policy", "subdomain_policy", "adkim", "aspf", "pct", "rua", "ruf", "report_destinations",
	"spf_aligned", "dkim_aligned", "result", "applied_policy", NULL };

/* Keys laid out below; html_more shows any other. */
static const char *const known_tlsa[] = { "tlsa_name", "dnssec", "outcome", "records", "problems",
	"usable_records", "senders_look_up", "applies", "not_applied_because", NULL };
static const char *const known_caa[] = { "name", "dnssec", "outcome", "records", "malformed",
	"issuers", NULL };
static const char *const known_sts[] = { "record_name", "record", "id", "policy_url", "policy",
	"problems", "dnssec", "policy_address", "fetch_ms", "http_status", "content_type",
	"fetch_error", "policy_text", "mode", "outcome", "reason", NULL };
static const char *const known_spf_policy[] = { "domain", "outcome", "record", "records", "lookups",
	"lookup_limit", "void_lookups", "unlisted_address", "unlisted_result", "unlisted_mechanism",
	"problem", NULL };
static const char *const known_tlsrpt[] = { "record_name", "outcome", "record", "dnssec", "rua",
	"problems", NULL };

/* Names of TLSA fields (RFC 6698 2.1, RFC 7218), ours, by number. */
static const char *tlsa_usage_name(long long u)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };
	return u >= 0 && u <= 3 ? names[u] : "unassigned";
}

static const char *tlsa_selector_name(long long s)
{
	return s == 0 ? "whole certificate" : s == 1 ? "public key" : "unassigned";
}

static const char *tlsa_matching_name(long long m)
{
	return m == 0 ? "exact" : m == 1 ? "SHA-256" : m == 2 ? "SHA-512" : "unassigned";
}

/* dnssec_note - " (DNSSEC <status>)" in the status's colour. */
static void dnssec_note(strbuf_t *out, const char *dnssec)
{
	if (dnssec == NULL)
		return;
	const char *cls = html_result_class(dnssec);
	strbuf_printf(out, " <span class=\"%s\">(DNSSEC ", cls ? cls : "muted");
	strbuf_append_html(out, dnssec);
	strbuf_puts(out, ")</span>");
}

/* problem_list - a list of problems (strings) in the "bad" colour. */
static void problem_list(const json_t *problems, strbuf_t *out)
{
	size_t n = problems ? json_array_size(problems) : 0;
	if (n == 0)
		return;
	strbuf_puts(out, "<ul class=\"bad\">");
	for (size_t i = 0; i < n; i++) {
		const char *p = json_string_value(json_array_get(problems, i));
		if (p == NULL)
			continue;
		strbuf_puts(out, "<li>");
		strbuf_append_html(out, p);
		strbuf_puts(out, "</li>");
	}
	strbuf_puts(out, "</ul>\n");
}

static void html_tlsa_records(const json_t *dane, strbuf_t *out)
{
	const json_t *recs = rjson_arr(dane, "records");
	size_t n = recs ? json_array_size(recs) : 0;
	if (n == 0)
		return;
	static const char *const cols[] = { "#", "Usage", "Selector", "Matching", "Data",
		"Usable for SMTP", NULL };
	html_table_columns(out, cols);
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(recs, i);
		long long u = -1, s = -1, m = -1;
		int have = rjson_int(r, "usage", &u) + rjson_int(r, "selector", &s) +
			   rjson_int(r, "matching_type", &m);
		strbuf_printf(out, "<tr><td>%zu</td>", i + 1);
		if (have == 3)
			strbuf_printf(out, "<td>%lld %s</td><td>%lld %s</td><td>%lld %s</td>", u,
				      tlsa_usage_name(u), s, tlsa_selector_name(s), m,
				      tlsa_matching_name(m));
		else
			strbuf_puts(out, "<td colspan=\"3\" class=\"muted\">not recorded</td>");
		strbuf_puts(out, "<td>");
		html_code(out, rjson_str(r, "data"));
		strbuf_puts(out, "</td><td>");
		/* usages 0 and 1 need the public CA trust SMTP does not have (RFC 7672 3.1.3) */
		html_bool(out, rjson_bool(r, "usable"), "yes", "no");
		strbuf_puts(out, "</td></tr>\n");
	}
	strbuf_puts(out, "</table>\n");
}

static void html_caa(const json_t *caa, strbuf_t *out)
{
	const char *outcome = rjson_str(caa, "outcome");
	html_row_start(out, "CAA", outcome && strcmp(outcome, "found") == 0 ? "ok" :
			   html_result_class(outcome));
	if (outcome && strcmp(outcome, "none") == 0) {
		strbuf_puts(out, "none: any certificate authority may issue for this host");
	} else {
		html_text(out, outcome);
		if (rjson_str(caa, "name")) {
			strbuf_puts(out, " at ");
			html_code(out, rjson_str(caa, "name"));
		}
		dnssec_note(out, rjson_str(caa, "dnssec"));
		const json_t *issuers = rjson_arr(caa, "issuers");
		if (issuers && json_array_size(issuers) > 0) {
			strbuf_puts(out, "<br>May issue: ");
			for (size_t i = 0; i < json_array_size(issuers); i++) {
				if (i)
					strbuf_puts(out, ", ");
				html_code(out, json_string_value(json_array_get(issuers, i)));
			}
		}
		const json_t *recs = rjson_arr(caa, "records");
		for (size_t i = 0; recs && i < json_array_size(recs); i++) {
			const json_t *r = json_array_get(recs, i);
			long long flags = 0;
			strbuf_puts(out, "<br><code>");
			if (rjson_int(r, "flags", &flags))
				strbuf_printf(out, "%lld ", flags);
			html_text(out, rjson_str(r, "tag"));
			strbuf_puts(out, " &quot;");
			html_text(out, rjson_str(r, "value"));
			strbuf_puts(out, "&quot;</code>");
			if (rjson_bool(r, "critical") == 1)
				strbuf_puts(out, " <span class=\"warn\">(critical)</span>");
		}
		long long malformed = 0;
		if (rjson_int(caa, "malformed", &malformed) && malformed > 0)
			strbuf_printf(out, "<br><span class=\"bad\">%lld malformed record%s</span>",
				      malformed, malformed == 1 ? "" : "s");
	}
	html_row_end(out);
}

void html_mx_host_records(const json_t *host, strbuf_t *out)
{
	const json_t *dane = rjson_obj(host, "dane");
	const json_t *caa = rjson_obj(host, "caa");
	const json_t *sts = rjson_obj(host, "mta_sts");
	const char *cname = rjson_str(host, "cname");
	const char *problem = rjson_str(host, "addresses_problem");
	if (!dane && !caa && !sts && !cname && !problem)
		return;
	strbuf_puts(out, "<table>\n");
	if (problem)
		html_row_text(out, "Addresses", problem, "bad");
	if (cname) {
		html_row_start(out, "Alias of", "warn");
		html_code(out, cname);
		strbuf_puts(out, " <span class=\"muted\">(an MX target must not be a CNAME, "
			    "RFC 2181 10.3)</span>");
		html_row_end(out);
	}
	if (dane) {
		const char *outcome = rjson_str(dane, "outcome");
		long long usable;
		html_row_start(out, "DANE (TLSA)", NULL);
		if (outcome && strcmp(outcome, "none") == 0) {
			strbuf_puts(out, "no TLSA records at ");
			html_code(out, rjson_str(dane, "tlsa_name"));
		} else {
			const char *cls = html_result_class(outcome);
			strbuf_printf(out, "<span class=\"%s\">", cls ? cls : "muted");
			html_text(out, outcome);
			strbuf_puts(out, "</span> at ");
			html_code(out, rjson_str(dane, "tlsa_name"));
			if (rjson_int(dane, "usable_records", &usable))
				strbuf_printf(out, "; %lld usable record%s", usable, usable == 1 ? "" : "s");
			if (outcome && strcmp(outcome, "secure") != 0 && strcmp(outcome, "none") != 0)
				strbuf_puts(out, "<br><span class=\"warn\">Senders use TLSA records only "
					    "from a DNSSEC-secure answer (RFC 7672 2.2).</span>");
			else if (outcome && strcmp(outcome, "secure") == 0 &&
				 rjson_bool(dane, "senders_look_up") == 0) {
				strbuf_puts(out, "<br><span class=\"bad\">Not used by any sender: ");
				strbuf_append_html(out, rjson_str(dane, "not_applied_because") ?: "?");
				strbuf_puts(out, "</span>");
			}
		}
		html_row_end(out);
	}
	if (caa)
		html_caa(caa, out);
	if (sts) {
		int match = rjson_bool(sts, "mx_match");
		html_row_start(out, "MTA-STS", match == 1 ? "ok" : "bad");
		if (match == 1) {
			strbuf_puts(out, "named by the policy's ");
			html_code(out, rjson_str(sts, "pattern"));
		} else {
			strbuf_puts(out, "not named by any mx: line of the policy; "
				    "MTA-STS senders will not deliver here");
		}
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
	if (dane) {
		html_tlsa_records(dane, out);
		problem_list(rjson_arr(dane, "problems"), out);
		html_more(out, dane, known_tlsa);
	}
	html_more(out, caa, known_caa);
}

/* dane_match - one DANE verdict: state, the record matched and where;
 * with_if_applied: also what it would be once senders use the records
 * (one level only, whatever the report nests). */
static void dane_match(const json_t *d, strbuf_t *out, int with_if_applied)
{
	const char *state = rjson_str(d, "state");
	long long rec, depth;
	const char *cls = html_result_class(state);
	strbuf_printf(out, "<span class=\"%s\">", cls ? cls : "muted");
	html_text(out, state);
	strbuf_puts(out, "</span>");
	if (rjson_int(d, "matched_record", &rec)) {
		strbuf_printf(out, ": TLSA record %lld matched", rec + 1);
		if (rjson_int(d, "depth", &depth) && depth == 0)
			strbuf_puts(out, " the server's own certificate");
		else if (rjson_int(d, "depth", &depth))
			strbuf_printf(out, " the certificate at chain depth %lld", depth);
	}
	if (rjson_str(d, "reason")) {
		strbuf_puts(out, ": ");
		strbuf_append_html(out, rjson_str(d, "reason"));
	}
	const json_t *would_be = with_if_applied ? rjson_obj(d, "if_applied") : NULL;
	if (would_be) {
		strbuf_puts(out, "<br>once senders use the records: ");
		dane_match(would_be, out, 0);
	}
}

void html_address_checks(const json_t *addr, strbuf_t *out)
{
	const json_t *ptr = rjson_obj(addr, "ptr");
	const json_t *dane = rjson_obj(addr, "dane");
	if (ptr) {
		int confirmed = rjson_bool(ptr, "forward_confirmed");
		const json_t *names = rjson_arr(ptr, "names");
		html_row_start(out, "Reverse DNS", confirmed == 1 ? "ok" : "warn");
		if (names && json_array_size(names) > 0) {
			for (size_t i = 0; i < json_array_size(names); i++) {
				if (i)
					strbuf_puts(out, ", ");
				html_code(out, json_string_value(json_array_get(names, i)));
			}
			strbuf_puts(out, confirmed == 1 ? " (points back to this address)" :
				    " (not confirmed: no such name points back to this address)");
		} else {
			strbuf_puts(out, "no PTR record (");
			html_text(out, rjson_str(ptr, "outcome"));
			strbuf_puts(out, ")");
		}
		html_row_end(out);
	}
	if (dane) {
		const json_t *by = rjson_arr(dane, "by_key_type");
		html_row_start(out, "DANE match", NULL);
		dane_match(dane, out, 1);
		for (size_t i = 0; by && i < json_array_size(by); i++) {
			const json_t *k = json_array_get(by, i);
			strbuf_puts(out, "<br>");
			html_text(out, rjson_str(k, "key_type"));
			strbuf_puts(out, " certificate: ");
			dane_match(k, out, 0);
		}
		html_row_end(out);
	}
}

void html_dmarc_rows(const json_t *dmarc, strbuf_t *out)
{
	const char *outcome = rjson_str(dmarc, "outcome");
	const char *policy = rjson_str(dmarc, "policy");
	long long pct;
	html_row_start(out, "Record", outcome && strcmp(outcome, "found") == 0 ? "ok" :
			   html_result_class(outcome));
	html_text(out, outcome);
	if (outcome && strcmp(outcome, "none") == 0 && rjson_str(dmarc, "domain")) {
		strbuf_puts(out, ": no record at <code>_dmarc.");
		strbuf_append_html(out, rjson_str(dmarc, "domain"));
		strbuf_puts(out, "</code> or its organizational domain");
	}
	if (rjson_str(dmarc, "record_domain")) {
		strbuf_puts(out, " at <code>_dmarc.");
		strbuf_append_html(out, rjson_str(dmarc, "record_domain"));
		strbuf_puts(out, "</code>");
	}
	dnssec_note(out, rjson_str(dmarc, "dnssec"));
	if (rjson_str(dmarc, "record")) {
		strbuf_puts(out, "<br>");
		html_code(out, rjson_str(dmarc, "record"));
	}
	html_row_end(out);
	if (outcome == NULL || strcmp(outcome, "found") != 0)
		return;
	html_row_text(out, "Policy (p=)", policy, policy && strcmp(policy, "none") != 0 ? "ok" : "warn");
	if (rjson_str(dmarc, "subdomain_policy"))
		html_row_text(out, "Subdomains (sp=)", rjson_str(dmarc, "subdomain_policy"), NULL);
	html_row_start(out, "Alignment", NULL);
	strbuf_puts(out, "DKIM ");
	html_text(out, rjson_str(dmarc, "adkim"));
	strbuf_puts(out, ", SPF ");
	html_text(out, rjson_str(dmarc, "aspf"));
	html_row_end(out);
	if (rjson_int(dmarc, "pct", &pct) && pct != 100) {
		html_row_start(out, "Applied to (pct=)", "warn");
		strbuf_printf(out, "%lld%% of failing mail", pct);
		html_row_end(out);
	}
}

void html_dmarc_destinations(const json_t *dmarc, strbuf_t *out)
{
	const json_t *dests = rjson_arr(dmarc, "report_destinations");
	size_t n = dests ? json_array_size(dests) : 0;
	if (n == 0)
		return;
	static const char *const cols[] = { "Reports", "To", "Accepted by the destination", NULL };
	html_table_columns(out, cols);
	for (size_t i = 0; i < n; i++) {
		const json_t *d = json_array_get(dests, i);
		strbuf_puts(out, "<tr><td>");
		html_text(out, rjson_str(d, "tag"));
		strbuf_puts(out, "</td><td>");
		html_code(out, rjson_str(d, "uri"));
		strbuf_puts(out, "</td><td>");
		if (rjson_bool(d, "external") != 1) {
			strbuf_puts(out, "<span class=\"ok\">own domain</span>");
		} else {
			int a = rjson_bool(d, "authorized");
			if (a == -1)
				strbuf_puts(out, "<span class=\"warn\">unknown: the lookup failed</span>");
			else
				html_bool(out, a, "yes", "no: it publishes no authorization record");
			strbuf_puts(out, " <span class=\"muted\">(");
			html_text(out, rjson_str(dmarc, "domain"));
			strbuf_puts(out, "._report._dmarc.");
			html_text(out, rjson_str(d, "destination"));
			strbuf_puts(out, ")</span>");
		}
		strbuf_puts(out, "</td></tr>\n");
	}
	strbuf_puts(out, "</table>\n");
}

/* policy_text - the policy file as served: record_text wrote its line
 * ends as "\x0a" (and a backslash as "\x5c"), so splitting there gives the
 * lines back without ever reading the file's own bytes as markup. */
static void policy_text(const char *text, strbuf_t *out)
{
	strbuf_t line = STRBUF_INIT;
	strbuf_puts(out, "<pre>");
	for (const char *p = text; *p;) {
		const char *nl = strstr(p, "\\x0a");
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			strbuf_reset(&line);
			strbuf_append(&line, p, len);
			strbuf_append_html(out, line.data);
		}
		strbuf_puts(out, "\n");
		p += len + (nl ? 4 : 0);
	}
	strbuf_puts(out, "</pre>\n");
	strbuf_free(&line);
}

void html_mta_sts(const json_t *sts, strbuf_t *out)
{
	const char *outcome = rjson_str(sts, "outcome");
	const char *mode = rjson_str(sts, "mode");
	const json_t *policy = rjson_obj(sts, "policy");
	long long status, ms, max_age;
	strbuf_puts(out, "<h3>MTA-STS <span class=\"muted\">(RFC 8461)</span></h3>\n<table>\n");
	html_row_start(out, "Outcome", outcome && strcmp(outcome, "none") == 0 ? "warn" :
			   html_result_class(outcome));
	if (outcome && strcmp(outcome, "none") == 0)
		strbuf_puts(out, "none: no MTA-STS record, so senders may fall back to plaintext "
			    "or accept any certificate");
	else
		html_text(out, outcome);
	if (rjson_str(sts, "reason")) {
		strbuf_puts(out, ": ");
		strbuf_append_html(out, rjson_str(sts, "reason"));
	}
	html_row_end(out);
	html_row_start(out, "Record", NULL);
	html_code(out, rjson_str(sts, "record"));
	strbuf_puts(out, " at ");
	html_code(out, rjson_str(sts, "record_name"));
	dnssec_note(out, rjson_str(sts, "dnssec"));
	html_row_end(out);
	if (rjson_str(sts, "policy_url")) {
		html_row_start(out, "Policy fetched", rjson_str(sts, "fetch_error") ? "bad" : NULL);
		html_code(out, rjson_str(sts, "policy_url"));
		if (rjson_str(sts, "policy_address")) {
			strbuf_puts(out, " from ");
			html_text(out, rjson_str(sts, "policy_address"));
		}
		if (rjson_int(sts, "http_status", &status))
			strbuf_printf(out, ": HTTP %lld", status);
		if (rjson_str(sts, "content_type")) {
			strbuf_puts(out, ", ");
			html_code(out, rjson_str(sts, "content_type"));
		}
		if (rjson_int(sts, "fetch_ms", &ms))
			strbuf_printf(out, ", %lld ms", ms);
		if (rjson_str(sts, "fetch_error")) {
			strbuf_puts(out, "<br>");
			strbuf_append_html(out, rjson_str(sts, "fetch_error"));
		}
		html_row_end(out);
	}
	if (mode)
		html_row_text(out, "Mode", mode, strcmp(mode, "enforce") == 0 ? "ok" : "warn");
	if (policy && rjson_int(policy, "max_age", &max_age)) {
		html_row_start(out, "Max age", max_age < 86400 ? "warn" : NULL);
		strbuf_printf(out, "%lld s (%lld days)", max_age, max_age / 86400);
		html_row_end(out);
	}
	if (policy) {
		html_row_start(out, "MX patterns", NULL);
		html_string_list(out, rjson_arr(policy, "mx"));
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
	problem_list(rjson_arr(sts, "problems"), out);
	if (rjson_str(sts, "policy_text")) {
		strbuf_puts(out, "<details><summary>The policy as served</summary>\n");
		policy_text(rjson_str(sts, "policy_text"), out);
		strbuf_puts(out, "</details>\n");
	}
	html_more(out, sts, known_sts);
}

void html_spf_policy(const json_t *spf, strbuf_t *out)
{
	const char *outcome = rjson_str(spf, "outcome");
	const char *unlisted = rjson_str(spf, "unlisted_result");
	long long lookups, limit = 10, voids, records;
	strbuf_puts(out, "<h3>SPF <span class=\"muted\">(RFC 7208)</span></h3>\n<table>\n");
	html_row_start(out, "Record", outcome && strcmp(outcome, "found") == 0 ? "ok" :
			   outcome && strcmp(outcome, "none") == 0 ? "warn" : html_result_class(outcome));
	if (outcome && strcmp(outcome, "none") == 0) {
		strbuf_puts(out, "none: no v=spf1 record at ");
		html_code(out, rjson_str(spf, "domain"));
	} else {
		html_text(out, outcome);
		if (rjson_str(spf, "record")) {
			strbuf_puts(out, "<br>");
			html_code(out, rjson_str(spf, "record"));
		}
		if (rjson_str(spf, "problem")) {
			strbuf_puts(out, "<br>");
			strbuf_append_html(out, rjson_str(spf, "problem"));
		}
	}
	html_row_end(out);
	if (rjson_int(spf, "lookups", &lookups)) {
		rjson_int(spf, "lookup_limit", &limit);
		html_row_start(out, "DNS lookups", lookups > limit ? "bad" : lookups >= limit - 2 ? "warn" :
				   NULL);
		strbuf_printf(out, "%lld of at most %lld", lookups, limit);
		if (rjson_int(spf, "void_lookups", &voids))
			strbuf_printf(out, "; %lld void (at most 2)", voids);
		if (rjson_int(spf, "records", &records) && records > 1)
			strbuf_printf(out, "; %lld records (one is allowed)", records);
		html_row_end(out);
	}
	if (unlisted && outcome && strcmp(outcome, "found") == 0) {
		const char *cls = strcmp(unlisted, "pass") == 0 ? "bad" : strcmp(unlisted, "fail") == 0 ||
				  strcmp(unlisted, "softfail") == 0 ? "ok" : "warn";
		html_row_start(out, "An unlisted sender", cls);
		strbuf_puts(out, "gets ");
		strbuf_append_html(out, unlisted);
		if (rjson_str(spf, "unlisted_mechanism")) {
			strbuf_puts(out, ", by ");
			html_code(out, rjson_str(spf, "unlisted_mechanism"));
		}
		strbuf_puts(out, " <span class=\"muted\">(as tried for ");
		html_text(out, rjson_str(spf, "unlisted_address"));
		strbuf_puts(out, ", a documentation address)</span>");
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
	html_more(out, spf, known_spf_policy);
}

void html_tls_rpt(const json_t *rpt, strbuf_t *out)
{
	const char *outcome = rjson_str(rpt, "outcome");
	strbuf_puts(out, "<h3>TLS-RPT <span class=\"muted\">(RFC 8460)</span></h3>\n<table>\n");
	html_row_start(out, "Outcome", outcome && strcmp(outcome, "none") == 0 ? "warn" :
			   html_result_class(outcome));
	if (outcome && strcmp(outcome, "none") == 0)
		strbuf_puts(out, "none: senders have nowhere to report failed TLS deliveries");
	else
		html_text(out, outcome);
	html_row_end(out);
	html_row_start(out, "Record", NULL);
	html_code(out, rjson_str(rpt, "record"));
	strbuf_puts(out, " at ");
	html_code(out, rjson_str(rpt, "record_name"));
	dnssec_note(out, rjson_str(rpt, "dnssec"));
	html_row_end(out);
	if (rjson_arr(rpt, "rua") && json_array_size(rjson_arr(rpt, "rua")) > 0) {
		html_row_start(out, "Reports to", NULL);
		html_string_list(out, rjson_arr(rpt, "rua"));
		html_row_end(out);
	}
	strbuf_puts(out, "</table>\n");
	problem_list(rjson_arr(rpt, "problems"), out);
	html_more(out, rpt, known_tlsrpt);
}
