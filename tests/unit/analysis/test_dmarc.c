/*
 * test_dmarc.c - DMARC by mxray's own rules: organizational domains from
 * the public suffix list (co.uk, github.io), strict and relaxed alignment,
 * record discovery with the organizational fallback, parse errors as
 * problems, DNS failures as temperror.
 */
#include <arpa/nameser.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "fake_dns.h"
#include "analysis/dmarc.h"

static fake_rr_t zone[] = {
	{ .name = "_dmarc.example.org", .type = ns_t_txt, .outcome = DNS_OK, .dnssec = DNSSEC_SECURE,
	  .text = { "v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:d@example.org,mailto:x@r.test" } },
	{ .name = "_dmarc.mail.example.org", .type = ns_t_txt, .outcome = DNS_NXDOMAIN },
	{ .name = "_dmarc.none.test", .type = ns_t_txt, .outcome = DNS_NXDOMAIN },
	{ .name = "_dmarc.broken.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1; p=maybe; pct=150; foo=bar" } },
	{ .name = "_dmarc.twice.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1; p=none", "v=DMARC1; p=reject" } },
	{ .name = "_dmarc.failing.test", .type = ns_t_txt, .outcome = DNS_SERVFAIL, .dnssec = DNSSEC_BOGUS },
	{ .name = "_dmarc.ext.co.uk", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1; p=none; rua=mailto:a@reports.ext.co.uk,mailto:b@auth.test!10m,"
		    "mailto:c@noauth.test; ruf=mailto:d@fail.test" } },
	{ .name = "ext.co.uk._report._dmarc.auth.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1" } },
	{ .name = "ext.co.uk._report._dmarc.noauth.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 -all" } },
	{ .name = "ext.co.uk._report._dmarc.fail.test", .type = ns_t_txt, .outcome = DNS_SERVFAIL },
	/* two records at a subdomain whose organizational domain has a good one */
	{ .name = "_dmarc.twice.example.org", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1; p=none", "v=DMARC1; p=reject" } },
	/* RFC 9091: np= for subdomains that do not exist */
	{ .name = "_dmarc.np.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1; p=quarantine; sp=none; np=reject" } },
	{ .name = "live.np.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "192.0.2.1" } },
	{ .name = "mxonly.np.test", .type = ns_t_mx, .outcome = DNS_OK, .text = { "mx.np.test" } },
	{ .name = "flaky.np.test", .type = ns_t_a, .outcome = DNS_SERVFAIL },
	{ .name = "_dmarc.plain.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DMARC1; p=reject; sp=quarantine" } },
};
static fake_dns_t fake;
static analysis_dns_t dns;

TEST(organizational_domains_follow_the_public_suffix_list)
{
	static const struct { const char *in, *org; } cases[] = {
		{ "mail.example.org", "example.org" }, { "example.org", "example.org" },
		{ "a.b.example.co.uk", "example.co.uk" }, { "user.github.io", "user.github.io" },
		{ "deep.user.github.io", "user.github.io" }, { "MAIL.Example.ORG.", "example.org" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *org = dmarc_org_domain(cases[i].in);
		CHECK_STR(org, cases[i].org);
		free(org);
	}
}

TEST(alignment_table)
{
	static const struct { const char *a, *b; int strict, want; } cases[] = {
		{ "example.org", "example.org", 1, 1 }, { "mail.example.org", "example.org", 1, 0 },
		{ "mail.example.org", "example.org", 0, 1 }, { "EXAMPLE.org", "example.ORG", 1, 1 },
		{ "a.example.co.uk", "b.example.co.uk", 0, 1 }, { "example.co.uk", "other.co.uk", 0, 0 },
		/* github.io is a public suffix: two users are not one organization. */
		{ "alice.github.io", "mallory.github.io", 0, 0 }, { "x.alice.github.io", "alice.github.io", 0, 1 },
		{ "co.uk", "evil.co.uk", 0, 0 }, { NULL, "example.org", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = dmarc_aligned(cases[i].a, cases[i].b, cases[i].strict);
		if (got != cases[i].want)
			printf("#   %s ~ %s (%s): %d\n", cases[i].a ? cases[i].a : "(null)", cases[i].b,
			       cases[i].strict ? "strict" : "relaxed", got);
		CHECK_INT(got, cases[i].want);
	}
}

static const char *s(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

TEST(discovery_falls_back_to_the_organizational_domain)
{
	json_t *d = dmarc_lookup(&dns, "mail.example.org");
	CHECK_STR(s(d, "outcome"), "found");
	CHECK_STR(s(d, "record_domain"), "example.org");
	CHECK_STR(s(d, "policy"), "reject");
	CHECK_STR(s(d, "subdomain_policy"), "quarantine");
	CHECK_STR(s(d, "adkim"), "strict");
	CHECK_STR(s(d, "aspf"), "relaxed");
	CHECK_INT(json_array_size(json_object_get(d, "rua")), 2);
	CHECK_STR(s(d, "dnssec"), "secure");
	json_decref(d);
	d = dmarc_lookup(&dns, "none.test");
	CHECK_STR(s(d, "outcome"), "none");
	json_decref(d);
	d = dmarc_lookup(&dns, "failing.test");
	CHECK_STR(s(d, "outcome"), "temperror");	/* bogus is never "no policy" */
	json_decref(d);
}

TEST(broken_and_duplicate_records_are_invalid_with_reasons)
{
	json_t *d = dmarc_lookup(&dns, "broken.test");
	CHECK_STR(s(d, "outcome"), "invalid");
	char *p = json_dumps(json_object_get(d, "problems"), 0);
	CHECK(p && strstr(p, "policy \\\"maybe\\\"") && strstr(p, "pct=150") && strstr(p, "unknown tag \\\"foo\\\""));
	free(p);
	json_decref(d);
	/* RFC 7489 6.6.3: several records end discovery: no policy, and no
	 * fallback to the organizational domain's (good) record. */
	static const char *const twice[] = { "twice.test", "twice.example.org" };
	for (size_t i = 0; i < 2; i++) {
		d = dmarc_lookup(&dns, twice[i]);
		CHECK_STR(s(d, "outcome"), "invalid");
		CHECK_STR(s(d, "record_domain"), twice[i]);
		CHECK(json_object_get(d, "policy") == NULL);
		p = json_dumps(json_object_get(d, "problems"), 0);
		CHECK(p && strstr(p, "2 v=DMARC1 records at _dmarc.") && strstr(p, "6.6.3"));
		free(p);
		json_decref(d);
	}
}

TEST(message_alignment_and_result)
{
	static const struct { const char *msg; const char *result; int spf_al, dkim_al; const char *policy; } cases[] = {
		/* relaxed SPF alignment from a subdomain envelope sender */
		{ "{\"from\":\"A <a@example.org>\",\"spf\":{\"result\":\"pass\",\"domain\":\"bounce.example.org\"},\"dkim\":[]}", "pass", 1, 0, NULL },
		/* adkim=s: a parent-domain signature does not align with a subdomain From */
		{ "{\"from\":\"a@mail.example.org\",\"spf\":{\"result\":\"fail\",\"domain\":\"mail.example.org\"},\"dkim\":[{\"domain\":\"example.org\",\"result\":\"pass\"}]}", "fail", 0, 0, "quarantine" },
		{ "{\"from\":\"a@example.org\",\"spf\":{\"result\":\"softfail\",\"domain\":\"example.org\"},\"dkim\":[{\"domain\":\"example.org\",\"result\":\"pass\"}]}", "pass", 0, 1, NULL },
		{ "{\"from\":\"a@example.org\",\"spf\":{\"result\":\"pass\",\"domain\":\"evil.test\"},\"dkim\":[{\"domain\":\"evil.test\",\"result\":\"pass\"}]}", "fail", 0, 0, "reject" },
		{ "{\"from\":\"a@none.test\",\"spf\":{\"result\":\"pass\",\"domain\":\"none.test\"},\"dkim\":[]}", "none", 1, 0, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *m = json_loads(cases[i].msg, 0, NULL);
		json_t *d = dmarc_evaluate(&dns, m);
		CHECK(d != NULL);
		if (d == NULL) {
			json_decref(m);
			continue;
		}
		CHECK_STR(s(d, "result"), cases[i].result);
		CHECK_INT(json_is_true(json_object_get(d, "spf_aligned")), cases[i].spf_al);
		CHECK_INT(json_is_true(json_object_get(d, "dkim_aligned")), cases[i].dkim_al);
		if (cases[i].policy)
			CHECK_STR(s(d, "applied_policy"), cases[i].policy);
		json_decref(d);
		json_decref(m);
	}
	/* No author domain: permerror with the reason, and no policy looked up. */
	static const struct { const char *msg, *why; } bad[] = {
		{ "{\"from\":\"no address here\"}", "not an address" },
		{ "{\"from\":\"a@example.org, b@evil.test\"}", "several domains" },
		{ "{\"from\":null}", "no From field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *m = json_loads(bad[i].msg, 0, NULL);
		json_t *d = dmarc_evaluate(&dns, m);
		CHECK_STR(s(d, "result"), "permerror");
		CHECK(s(d, "reason") && strstr(s(d, "reason"), bad[i].why));
		CHECK(json_is_null(json_object_get(d, "domain")));
		CHECK(json_object_get(d, "policy") == NULL);
		json_decref(d);
		json_decref(m);
	}
	/* A display name holding an address is not the address: DMARC is
	 * judged for evil.test, where example.org's passing DKIM does not align. */
	json_t *m = json_loads("{\"from\":\"\\\"x <a@example.org>\\\" <m@evil.test>\","
			       "\"spf\":null,\"dkim\":[{\"domain\":\"example.org\",\"result\":\"pass\"}]}", 0, NULL);
	CHECK(m != NULL);
	json_t *d = dmarc_evaluate(&dns, m);
	CHECK_STR(s(d, "domain"), "evil.test");
	CHECK_INT(json_is_true(json_object_get(d, "dkim_aligned")), 0);
	CHECK_STR(s(d, "result"), "none");
	json_decref(d);
	json_decref(m);
}

/* evaluate_from - dmarc_evaluate of a message with this From, SPF
 * (result and domain; NULL result: none) and DKIM signatures array. */
static json_t *evaluate_from(const char *from, const char *spf_result, const char *spf_domain,
			     const char *dkim_json)
{
	json_t *m = json_object();
	json_object_set_new(m, "from", json_string(from));
	json_object_set_new(m, "spf", spf_result ? json_pack("{ssss}", "result", spf_result,
							     "domain", spf_domain) : json_null());
	json_object_set_new(m, "dkim", json_loads(dkim_json, 0, NULL));
	json_t *d = dmarc_evaluate(&dns, m);
	json_decref(m);
	return d;
}

/* RFC 7489 6.6.2: a temporary error of an aligned identifier with nothing
 * aligned passing is temperror, with no policy applied. */
TEST(temporary_errors_give_temperror_not_fail)
{
	static const struct {
		const char *spf, *spf_dom, *dkim, *want, *why;
	} t[] = {
		{ "temperror", "example.org", "[]", "temperror", "SPF of the aligned envelope domain" },
		{ "fail", "example.org", "[{\"domain\":\"example.org\",\"result\":\"temperror\"}]",
		  "temperror", "aligned d=example.org" },
		/* a temporary error of an unaligned identifier changes nothing */
		{ "temperror", "evil.test", "[]", "fail", "no passing identifier aligned" },
		{ "fail", "example.org", "[{\"domain\":\"evil.test\",\"result\":\"temperror\"}]", "fail", NULL },
		/* an aligned pass wins over a temporary error */
		{ "temperror", "example.org", "[{\"domain\":\"example.org\",\"result\":\"pass\"}]", "pass", NULL },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *d = evaluate_from("a@example.org", t[i].spf, t[i].spf_dom, t[i].dkim);
		CHECK_STR(s(d, "result"), t[i].want);
		if (strcmp(t[i].want, "fail") != 0)
			CHECK(json_object_get(d, "applied_policy") == NULL);
		if (t[i].why)
			CHECK(s(d, "reason") && strstr(s(d, "reason"), t[i].why));
		json_decref(d);
	}
}

/* RFC 9091: np= for a subdomain that does not exist (A, AAAA, MX all
 * NXDOMAIN or NODATA), sp= for one that does, p= at the record's domain;
 * when existence cannot be told, np= is not applied. */
TEST(nonexistent_subdomains_get_np)
{
	static const struct { const char *from, *applied; int exists; } t[] = {
		{ "a@gone.np.test", "reject", 0 },
		{ "a@live.np.test", "none", 1 },
		{ "a@mxonly.np.test", "none", 1 },
		{ "a@flaky.np.test", "none", -1 },
		{ "a@np.test", "quarantine", -2 },	/* the record's own domain: not asked */
		{ "a@gone.plain.test", "quarantine", 0 },	/* no np=: sp= */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *d = evaluate_from(t[i].from, "fail", "evil.test", "[]");
		CHECK_STR(s(d, "result"), "fail");
		CHECK_STR(s(d, "applied_policy"), t[i].applied);
		json_t *e = json_object_get(d, "from_domain_exists");
		CHECK_INT(e == NULL ? -2 : json_is_null(e) ? -1 : json_is_true(e), t[i].exists);
		json_decref(d);
	}
}

/* Each DKIM signature's alignment with the From domain, and whether it
 * counts under adkim= (example.org has adkim=s). */
TEST(alignment_per_signature)
{
	json_t *d = evaluate_from("a@mail.example.org", "pass", "bounce.example.org",
		"[{\"domain\":\"example.org\",\"selector\":\"s1\",\"result\":\"pass\"},"
		"{\"domain\":\"Mail.Example.org\",\"selector\":\"s2\",\"result\":\"fail\"},"
		"{\"domain\":\"evil.test\",\"selector\":\"s3\",\"result\":\"pass\"},"
		"{\"domain\":\"mail.example.org\",\"selector\":\"s4\",\"result\":\"pass\"}]");
	static const struct { const char *sel, *alignment; int aligned, counts; } want[] = {
		{ "s1", "relaxed", 0, 0 }, { "s2", "strict", 1, 0 }, { "s3", "none", 0, 0 },
		{ "s4", "strict", 1, 1 },
	};
	json_t *sigs = json_object_get(d, "dkim_signatures");
	CHECK_INT(json_array_size(sigs), 4);
	for (size_t i = 0; i < 4 && i < json_array_size(sigs); i++) {
		json_t *g = json_array_get(sigs, i);
		CHECK_STR(s(g, "selector"), want[i].sel);
		CHECK_STR(s(g, "alignment"), want[i].alignment);
		CHECK_INT(json_is_true(json_object_get(g, "aligned")), want[i].aligned);
		CHECK_INT(json_is_true(json_object_get(g, "counts")), want[i].counts);
	}
	CHECK_STR(s(d, "spf_alignment"), "relaxed");	/* aspf=r: it counts */
	CHECK_INT(json_is_true(json_object_get(d, "spf_aligned")), 1);
	CHECK_INT(json_is_true(json_object_get(d, "dkim_aligned")), 1);
	CHECK_STR(s(d, "result"), "pass");
	json_decref(d);
	/* without s4 nothing DKIM counts; SPF from another domain neither */
	d = evaluate_from("a@mail.example.org", "pass", "evil.test",
		"[{\"domain\":\"example.org\",\"selector\":\"s1\",\"result\":\"pass\"}]");
	CHECK_STR(s(d, "result"), "fail");
	CHECK_STR(s(d, "spf_alignment"), "none");
	CHECK(s(d, "reason") && strstr(s(d, "reason"), "no passing identifier aligned with mail.example.org"));
	json_decref(d);
}

/* The From domain's own record missing, broken or doubled: a result
 * with its reason (the findings: test_header_findings.c). */
TEST(missing_and_unusable_records_of_the_from_domain)
{
	json_t *d = evaluate_from("a@none.test", "pass", "none.test", "[]");
	CHECK_STR(s(d, "result"), "none");
	CHECK_STR(s(d, "outcome"), "none");
	CHECK(s(d, "reason") && strstr(s(d, "reason"), "_dmarc.none.test"));
	json_decref(d);
	d = evaluate_from("a@twice.example.org", "pass", "twice.example.org", "[]");
	CHECK_STR(s(d, "result"), "permerror");	/* not example.org's p=reject */
	CHECK_STR(s(d, "outcome"), "invalid");
	CHECK(json_object_get(d, "applied_policy") == NULL);
	json_decref(d);
	d = evaluate_from("a@broken.test", "pass", "broken.test", "[]");
	CHECK_STR(s(d, "result"), "permerror");
	json_decref(d);
}

TEST(external_report_destinations_need_authorization)
{
	json_t *o = dmarc_lookup(&dns, "ext.co.uk");
	json_t *d = json_object_get(o, "report_destinations");
	CHECK_INT(json_array_size(d), 4);
	static const struct { const char *dest; int external; int authorized; } want[] = {
		{ "reports.ext.co.uk", 0, 1 }, { "auth.test", 1, 1 }, { "noauth.test", 1, 0 },
		{ "fail.test", 1, -1 },
	};
	for (size_t i = 0; i < 4 && i < json_array_size(d); i++) {
		json_t *e = json_array_get(d, i);
		CHECK_STR(json_string_value(json_object_get(e, "destination")), want[i].dest);
		CHECK_INT(json_is_true(json_object_get(e, "external")), want[i].external);
		json_t *a = json_object_get(e, "authorized");
		CHECK_INT(json_is_null(a) ? -1 : json_is_true(a), want[i].authorized);
	}
	/* one finding: the destination that answered "no"; a DNS failure is not a "no" */
	json_t *f = json_object_get(o, "findings");
	CHECK_INT(json_array_size(f), 1);
	const char *det = json_string_value(json_object_get(json_array_get(f, 0), "detail"));
	CHECK(det && strstr(det, "ext.co.uk._report._dmarc.noauth.test"));
	json_decref(o);
}

int main(void)
{
	dns = fake_dns_source(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	RUN(organizational_domains_follow_the_public_suffix_list);
	RUN(alignment_table);
	RUN(discovery_falls_back_to_the_organizational_domain);
	RUN(broken_and_duplicate_records_are_invalid_with_reasons);
	RUN(message_alignment_and_result);
	RUN(temporary_errors_give_temperror_not_fail);
	RUN(nonexistent_subdomains_get_np);
	RUN(alignment_per_signature);
	RUN(missing_and_unusable_records_of_the_from_domain);
	RUN(external_report_destinations_need_authorization);
	return harness_done();
}
