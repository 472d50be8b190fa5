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
	d = dmarc_lookup(&dns, "twice.test");
	CHECK_STR(s(d, "outcome"), "none");
	p = json_dumps(json_object_get(d, "problems"), 0);
	CHECK(p && strstr(p, "more than one"));
	free(p);
	json_decref(d);
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
	RUN(external_report_destinations_need_authorization);
	return harness_done();
}
