/*
 * test_spf.c - SPF through libspf2 with mxray's DNS layer: each result,
 * the record, every record type the layer converts, and that BOGUS or
 * SERVFAIL answers give temperror, never pass.
 */
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <spf2/spf.h>

#include "harness.h"
#include "findings_check.h"
#include "fake_dns.h"
#include "analysis/spf_check.h"

static fake_rr_t zone[] = {
	{ .name = "sender.test", .type = ns_t_txt, .outcome = DNS_OK, .dnssec = DNSSEC_SECURE,
	  .text = { "some-verification=abc", "v=spf1 ip4:192.0.2.0/24 -all" } },
	{ .name = "soft.test", .type = ns_t_txt, .outcome = DNS_OK, .text = { "v=spf1 ~all" } },
	{ .name = "neutral.test", .type = ns_t_txt, .outcome = DNS_OK, .text = { "v=spf1 ?all" } },
	{ .name = "nospf.test", .type = ns_t_txt, .outcome = DNS_OK, .text = { "hello world" } },
	{ .name = "servfail.test", .type = ns_t_txt, .outcome = DNS_SERVFAIL },
	{ .name = "bogus.test", .type = ns_t_txt, .outcome = DNS_SERVFAIL, .dnssec = DNSSEC_BOGUS },
	/* Data marked bogus must not be used even if the resolver handed it over. */
	{ .name = "bogusdata.test", .type = ns_t_txt, .outcome = DNS_OK, .dnssec = DNSSEC_BOGUS,
	  .text = { "v=spf1 +all" } },
	{ .name = "broken.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 ip4:192.0.2.0/24 frobnicate:x -all" } },
	{ .name = "two.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 -all", "v=spf1 +all" } },
	{ .name = "amech.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 a:host.amech.test -all" } },
	{ .name = "host.amech.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "192.0.2.77" } },
	{ .name = "mxmech.test", .type = ns_t_txt, .outcome = DNS_OK, .text = { "v=spf1 mx -all" } },
	{ .name = "mxmech.test", .type = ns_t_mx, .outcome = DNS_OK, .text = { "mx.mxmech.test" } },
	{ .name = "mx.mxmech.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "198.51.100.25" } },
	{ .name = "v6.test", .type = ns_t_txt, .outcome = DNS_OK, .text = { "v=spf1 a:h.v6.test -all" } },
	{ .name = "h.v6.test", .type = ns_t_aaaa, .outcome = DNS_OK, .text = { "2001:db8::25" } },
	{ .name = "incl.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 include:servfail.test -all" } },
	{ .name = "exp.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 -all exp=why.exp.test" } },
	{ .name = "why.exp.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "Not allowed: \x01%{i}" } },
	{ .name = "helo.sender.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 ip4:192.0.2.1 -all" } },
	/* Lookup limits: l0 includes l1 ... each level one include. */
	{ .name = "ten.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 a:n1.ten.test a:n2.ten.test a:n3.ten.test a:n4.ten.test "
		    "a:n5.ten.test a:n6.ten.test a:n7.ten.test a:n8.ten.test a:n9.ten.test "
		    "ip4:192.0.2.0/24 a:n10.ten.test -all" } },
	{ .name = "eleven.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 a:n1.ten.test a:n2.ten.test a:n3.ten.test a:n4.ten.test "
		    "a:n5.ten.test a:n6.ten.test include:inc.eleven.test -all" } },
	{ .name = "inc.eleven.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 a:n7.ten.test a:n8.ten.test a:n9.ten.test a:n10.ten.test "
		    "ip4:192.0.2.0/24 -all" } },
	{ .name = "n1.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.1" } },
	{ .name = "n2.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.2" } },
	{ .name = "n3.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.3" } },
	{ .name = "n4.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.4" } },
	{ .name = "n5.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.5" } },
	{ .name = "n6.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.6" } },
	{ .name = "n7.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.7" } },
	{ .name = "n8.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.8" } },
	{ .name = "n9.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.9" } },
	{ .name = "n10.ten.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "203.0.113.10" } },
	/* Void lookups: two are allowed, the third is a permerror. */
	{ .name = "void2.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 a:gone1.void.test a:gone2.void.test ip4:192.0.2.0/24 -all" } },
	{ .name = "void3.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 a:gone1.void.test a:gone2.void.test mx:gone3.void.test "
		    "ip4:192.0.2.0/24 -all" } },
	/* MX hosts' addresses are part of the mx term, not terms of their own. */
	{ .name = "mxhosts.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 mx -all" } },
	{ .name = "mxhosts.test", .type = ns_t_mx, .outcome = DNS_OK,
	  .text = { "a.mxhosts.test", "b.mxhosts.test", "c.mxhosts.test" } },
	{ .name = "c.mxhosts.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "198.51.100.9" } },
	/* redirect= and an exists: macro. */
	{ .name = "redir.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 redirect=sender.test" } },
	{ .name = "macro.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 exists:%{ir}.%{l1r-}.ok.macro.test -all" } },
	{ .name = "1.2.0.192.alice.ok.macro.test", .type = ns_t_a, .outcome = DNS_OK,
	  .text = { "127.0.0.2" } },
};

static fake_dns_t fake;
static analysis_dns_t dns;

/* check - run one case; returns the object (caller frees). */
static json_t *check(const char *ip, const char *helo, const char *from, const char *want)
{
	json_t *o = spf_check_run(&dns, ip, helo, from);
	const char *got = json_string_value(json_object_get(o, "result"));
	if (got == NULL || strcmp(got, want) != 0)
		printf("#   %s from %s: got %s, want %s (%s)\n", from ? from : "<>", ip,
		       got ? got : "(null)", want,
		       json_string_value(json_object_get(o, "explanation")));
	CHECK_STR(got, want);
	return o;
}

static void check_only(const char *ip, const char *from, const char *want)
{
	json_decref(check(ip, "client.test", from, want));
}

TEST(pass_and_fail_with_the_record)
{
	json_t *o = check("192.0.2.1", "client.test", "alice@Sender.Test", "pass");
	CHECK_STR(json_string_value(json_object_get(o, "domain")), "sender.test");
	CHECK_STR(json_string_value(json_object_get(o, "record")), "v=spf1 ip4:192.0.2.0/24 -all");
	CHECK(json_string_value(json_object_get(o, "explanation")) != NULL);
	CHECK_STR(json_string_value(json_object_get(o, "mechanism")), "ip4:192.0.2.0/24");
	json_decref(o);
	o = check("198.51.100.7", "client.test", "alice@sender.test", "fail");
	CHECK_STR(json_string_value(json_object_get(o, "record")), "v=spf1 ip4:192.0.2.0/24 -all");
	CHECK_STR(json_string_value(json_object_get(o, "mechanism")), "-all");
	json_decref(o);
}


TEST(every_result_name)
{
	check_only("192.0.2.1", "a@soft.test", "softfail");
	check_only("192.0.2.1", "a@neutral.test", "neutral");
	check_only("192.0.2.1", "a@nospf.test", "none");
	check_only("192.0.2.1", "a@nxdomain.test", "none");
	check_only("192.0.2.1", "a@broken.test", "permerror");
	check_only("192.0.2.1", "a@two.test", "permerror");
}

TEST(dns_failures_are_temperror_never_pass)
{
	check_only("192.0.2.1", "a@servfail.test", "temperror");
	check_only("192.0.2.1", "a@bogus.test", "temperror");
	check_only("192.0.2.1", "a@bogusdata.test", "temperror");
	check_only("192.0.2.1", "a@incl.test", "temperror");
}

TEST(a_mx_aaaa_records_are_converted)
{
	check_only("192.0.2.77", "a@amech.test", "pass");
	check_only("192.0.2.78", "a@amech.test", "fail");
	check_only("198.51.100.25", "a@mxmech.test", "pass");
	check_only("198.51.100.26", "a@mxmech.test", "fail");
	check_only("2001:db8::25", "a@v6.test", "pass");
	check_only("2001:db8::26", "a@v6.test", "fail");
}

TEST(explanation_is_the_domains_own_and_printable)
{
	json_t *o = check("198.51.100.7", "client.test", "a@exp.test", "fail");
	const char *e = json_string_value(json_object_get(o, "explanation"));
	/* libspf2 writes the spaces of an exp= text as '%'. */
	CHECK(e != NULL && strstr(e, "allowed") != NULL && strstr(e, "198.51.100.7") != NULL);
	if (e && !strstr(e, "allowed"))
		printf("#   explanation: %s\n", e);
	for (const char *p = e; p && *p; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	json_decref(o);
}

TEST(null_sender_checks_helo)
{
	json_t *o = check("192.0.2.1", "helo.sender.test", "", "pass");
	CHECK_STR(json_string_value(json_object_get(o, "domain")), "helo.sender.test");
	json_decref(o);
	o = check("192.0.2.2", "helo.sender.test", NULL, "fail");
	json_decref(o);
	o = check("192.0.2.2", NULL, NULL, "none");
	CHECK(json_is_null(json_object_get(o, "domain")));
	json_decref(o);
}

TEST(unknown_client_or_domain_is_none)
{
	json_t *o = check("not-an-ip", "client.test", "a@sender.test", "none");
	CHECK_STR(json_string_value(json_object_get(o, "explanation")), "client address unknown");
	json_decref(o);
	check_only("192.0.2.1", "no-domain", "none");
}

/* libspf2 passes loopback clients whatever the record says (even a
 * bogus zone's); mxray reports no verdict for them, with the reason. */
TEST(loopback_clients_are_not_evaluated)
{
	static const char *const ips[] = { "127.77.2.1", "127.0.0.1", "::1", "::ffff:127.0.0.9" };
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		json_t *o = spf_check_run(&dns, ips[i], "client.test", "a@sender.test");
		CHECK(json_is_null(json_object_get(o, "result")));
		CHECK(json_is_false(json_object_get(o, "evaluated")));
		const char *e = json_string_value(json_object_get(o, "explanation"));
		CHECK(e && strstr(e, "not evaluated: the client ") && strstr(e, ips[i]) &&
		      strstr(e, "loopback"));
		CHECK_STR(json_string_value(json_object_get(o, "domain")), "sender.test");
		CHECK(json_object_get(o, "helo") == NULL);
		json_decref(o);
	}
	/* neighbours of loopback are evaluated as usual */
	check_only("128.0.0.1", "a@sender.test", "fail");
	check_only("::2", "a@sender.test", "fail");
	json_t *o = spf_check_run(&dns, "192.0.2.1", "client.test", "a@sender.test");
	CHECK(json_object_get(o, "evaluated") == NULL);
	json_decref(o);
}

TEST(result_mapping_table)
{
	static const struct { int result, err; const char *want; } cases[] = {
		{ SPF_RESULT_PASS, SPF_E_SUCCESS, "pass" },
		{ SPF_RESULT_FAIL, SPF_E_SUCCESS, "fail" },
		{ SPF_RESULT_SOFTFAIL, SPF_E_SUCCESS, "softfail" },
		{ SPF_RESULT_NEUTRAL, SPF_E_SUCCESS, "neutral" },
		{ SPF_RESULT_NONE, SPF_E_NOT_SPF, "none" },
		{ SPF_RESULT_NONE, SPF_E_SUCCESS, "none" },
		{ SPF_RESULT_NONE, SPF_E_UNKNOWN_MECH, "permerror" },
		{ SPF_RESULT_NONE, SPF_E_DNS_ERROR, "temperror" },
		{ SPF_RESULT_TEMPERROR, SPF_E_DNS_ERROR, "temperror" },
		{ SPF_RESULT_PERMERROR, SPF_E_SYNTAX, "permerror" },
		{ SPF_RESULT_INVALID, SPF_E_NOT_SPF, "none" },
		{ SPF_RESULT_INVALID, SPF_E_DNS_ERROR, "temperror" },
		{ SPF_RESULT_INVALID, SPF_E_SUCCESS, "temperror" },
		{ SPF_RESULT_INVALID, SPF_E_NO_MEMORY, "temperror" },
		{ SPF_RESULT_INVALID, SPF_E_SYNTAX, "permerror" },
		{ SPF_RESULT_INVALID, SPF_E_BIG_DNS, "permerror" },
		{ SPF_RESULT_INVALID, SPF_E_MULTIPLE_RECORDS, "permerror" },
		{ 99, SPF_E_SUCCESS, "temperror" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(spf_check_result_name(cases[i].result, cases[i].err), cases[i].want);
}

static long long num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}


TEST(ten_lookups_pass_eleven_are_permerror)
{
	json_t *o = check("192.0.2.1", "client.test", "a@ten.test", "pass");
	CHECK_INT(num(o, "lookups"), 9);	/* evaluation stops at ip4: */
	CHECK(has_finding(o, "spf.lookups_near_limit"));
	json_decref(o);
	o = check("198.51.100.99", "client.test", "a@ten.test", "fail");
	CHECK_INT(num(o, "lookups"), 10);
	CHECK(!has_finding(o, "spf.too_many_lookups"));
	json_decref(o);
	/* 6 a + include + 4 a inside it = 11, before the ip4: that would match. */
	o = check("192.0.2.1", "client.test", "a@eleven.test", "permerror");
	CHECK(num(o, "lookups") >= 11);
	CHECK(has_finding(o, "spf.too_many_lookups"));
	json_decref(o);
}

TEST(third_void_lookup_is_permerror)
{
	json_t *o = check("192.0.2.1", "client.test", "a@void2.test", "pass");
	CHECK_INT(num(o, "void_lookups"), 2);
	CHECK(!has_finding(o, "spf.void_lookups"));
	json_decref(o);
	o = check("192.0.2.1", "client.test", "a@void3.test", "permerror");
	CHECK_INT(num(o, "void_lookups"), 3);
	CHECK(has_finding(o, "spf.void_lookups"));
	const char *e = json_string_value(json_object_get(o, "explanation"));
	CHECK(e && strstr(e, "void"));
	json_decref(o);
}

TEST(mx_hosts_are_not_extra_lookups)
{
	json_t *o = check("198.51.100.9", "client.test", "a@mxhosts.test", "pass");
	CHECK_INT(num(o, "lookups"), 1);
	CHECK_INT(num(o, "void_lookups"), 0);
	json_decref(o);
}

TEST(redirect_macro_and_two_records)
{
	json_t *o = check("192.0.2.1", "client.test", "a@sender.test", "pass");
	CHECK_INT(num(o, "records"), 1);
	json_decref(o);
	o = check("192.0.2.1", "client.test", "a@redir.test", "pass");
	CHECK_INT(num(o, "lookups"), 1);
	json_decref(o);
	check_only("192.0.2.1", "alice-x@macro.test", "pass");
	check_only("192.0.2.1", "bob@macro.test", "fail");
	o = check("192.0.2.1", "client.test", "a@two.test", "permerror");
	CHECK_INT(num(o, "records"), 2);
	CHECK(has_finding(o, "spf.multiple_records"));
	json_decref(o);
}

/* The term that decided (RFC 7208 4.6.2), found without disturbing the
 * counts; and the HELO identity checked on its own (RFC 7208 2.3). */
TEST(the_matching_mechanism_and_the_helo_identity)
{
	static const struct { const char *ip, *from, *result, *mechanism; } t[] = {
		{ "192.0.2.77", "a@amech.test", "pass", "a:host.amech.test" },
		{ "198.51.100.25", "a@mxmech.test", "pass", "mx" },
		{ "198.51.100.26", "a@mxmech.test", "fail", "-all" },
		{ "192.0.2.1", "a@neutral.test", "neutral", "?all" },
		{ "192.0.2.1", "a@ten.test", "pass", "ip4:192.0.2.0/24" },
		{ "192.0.2.1", "a@redir.test", "pass", "redirect=sender.test" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *o = check(t[i].ip, "client", t[i].from, t[i].result);
		const char *m = json_string_value(json_object_get(o, "mechanism"));
		if (m == NULL || strcmp(m, t[i].mechanism) != 0)
			printf("#   %s: mechanism %s, want %s\n", t[i].from, m ? m : "(none)",
			       t[i].mechanism);
		CHECK(m != NULL && strcmp(m, t[i].mechanism) == 0);
		json_decref(o);
	}
	/* the probing leaves the counts of the real check alone */
	json_t *o = check("192.0.2.1", "client", "a@ten.test", "pass");
	CHECK_INT(num(o, "lookups"), 9);
	json_decref(o);
	/* no record: no mechanism */
	o = check("192.0.2.1", "client", "a@nospf.test", "none");
	CHECK(json_object_get(o, "mechanism") == NULL);
	json_decref(o);

	o = check("192.0.2.1", "helo.sender.test", "alice@sender.test", "pass");
	json_t *h = json_object_get(o, "helo");
	CHECK_STR(json_string_value(json_object_get(h, "domain")), "helo.sender.test");
	CHECK_STR(json_string_value(json_object_get(h, "result")), "pass");
	CHECK_STR(json_string_value(json_object_get(h, "mechanism")), "ip4:192.0.2.1");
	CHECK(json_object_get(h, "findings") == NULL);
	json_decref(o);
	o = check("192.0.2.9", "helo.sender.test", "alice@sender.test", "pass");
	CHECK_STR(json_string_value(json_object_get(json_object_get(o, "helo"), "result")), "fail");
	json_decref(o);
	/* an address literal or a bare name is no HELO identity to check */
	o = check("192.0.2.1", "[192.0.2.1]", "alice@sender.test", "pass");
	CHECK(json_object_get(o, "helo") == NULL);
	json_decref(o);
}

int main(void)
{
	spf_check_init();
	dns = fake_dns_source(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	RUN(pass_and_fail_with_the_record);
	RUN(every_result_name);
	RUN(dns_failures_are_temperror_never_pass);
	RUN(a_mx_aaaa_records_are_converted);
	RUN(explanation_is_the_domains_own_and_printable);
	RUN(null_sender_checks_helo);
	RUN(unknown_client_or_domain_is_none);
	RUN(loopback_clients_are_not_evaluated);
	RUN(result_mapping_table);
	RUN(ten_lookups_pass_eleven_are_permerror);
	RUN(third_void_lookup_is_permerror);
	RUN(mx_hosts_are_not_extra_lookups);
	RUN(redirect_macro_and_two_records);
	RUN(the_matching_mechanism_and_the_helo_identity);
	return harness_done();
}
