/*
 * test_helo_check.c - the client's HELO name against the DNS (FQDN,
 * resolves, points at the client) and its reverse DNS as the MTA found
 * it, with the findings a sender reads; DNS failures give no verdict.
 */
#include <arpa/nameser.h>
#include "harness.h"
#include "findings_check.h"
#include "fake_dns.h"
#include "analysis/helo_check.h"

static fake_rr_t zone[] = {
	{ .name = "mail.sender.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "192.0.2.25" } },
	{ .name = "mail.sender.test", .type = ns_t_aaaa, .outcome = DNS_OK, .text = { "2001:db8::25" } },
	{ .name = "other.sender.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "192.0.2.99" } },
	{ .name = "broken.sender.test", .type = ns_t_a, .outcome = DNS_SERVFAIL },
	{ .name = "broken.sender.test", .type = ns_t_aaaa, .outcome = DNS_SERVFAIL },
	/* A fails, AAAA has no data; A answers elsewhere, AAAA fails */
	{ .name = "half.sender.test", .type = ns_t_a, .outcome = DNS_SERVFAIL },
	{ .name = "half.sender.test", .type = ns_t_aaaa, .outcome = DNS_NODATA },
	{ .name = "v4only.sender.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "192.0.2.99" } },
	{ .name = "v4only.sender.test", .type = ns_t_aaaa, .outcome = DNS_SERVFAIL },
};
static fake_dns_t fake;
static analysis_dns_t dns;
/* the documentation ranges stand in for public addresses here */
static netrange_list_t doc;


TEST(helo_verdicts)
{
	static const struct {
		const char *helo, *ip;
		int fqdn, resolves, matches;	/* -1: null */
		const char *finding;
	} t[] = {
		{ "mail.sender.test", "192.0.2.25", 1, 1, 1, NULL },
		{ "mail.sender.test", "2001:db8::25", 1, 1, 1, NULL },
		{ "other.sender.test", "192.0.2.25", 1, 1, 0, "message.helo.mismatch" },
		{ "nowhere.sender.test", "192.0.2.25", 1, 0, -1, "message.helo.unresolvable" },
		{ "broken.sender.test", "192.0.2.25", 1, -1, -1, NULL },	/* SERVFAIL: no verdict */
		{ "half.sender.test", "192.0.2.25", 1, -1, -1, NULL },	/* SERVFAIL + NODATA: none */
		/* resolves, but the client's IPv6 address may be behind the failed AAAA */
		{ "v4only.sender.test", "2001:db8::25", 1, 1, -1, NULL },
		{ "v4only.sender.test", "192.0.2.99", 1, 1, 1, NULL },
		{ "mailhost", "192.0.2.25", 0, -1, -1, "message.helo.not_fqdn" },
		{ "192.0.2.25", "192.0.2.25", 0, -1, -1, "message.helo.not_fqdn" },	/* no brackets */
		{ "localhost.localdomain", "192.0.2.25", 0, -1, -1, "message.helo.not_fqdn" },
		{ "[192.0.2.25]", "192.0.2.25", 0, -1, 1, NULL },		/* address literal */
		{ "[IPv6:2001:db8::25]", "2001:db8::25", 0, -1, 1, NULL },
		{ "[192.0.2.7]", "192.0.2.25", 0, -1, 0, "message.helo.mismatch" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *o = helo_check(&dns, t[i].helo, t[i].ip, "mail.sender.test", "mail.sender.test", &doc);
		CHECK_INT(json_is_true(json_object_get(o, "fqdn")), t[i].fqdn);
		json_t *r = json_object_get(o, "resolves"), *m = json_object_get(o, "matches_client");
		CHECK_INT(json_is_boolean(r) ? json_is_true(r) : -1, t[i].resolves);
		CHECK_INT(json_is_boolean(m) ? json_is_true(m) : -1, t[i].matches);
		CHECK_INT(json_array_size(json_object_get(o, "findings")), t[i].finding ? 1 : 0);
		if (t[i].finding)
			CHECK(has_finding(o, t[i].finding));
		if (harness_case_failed)
			printf("#   case %zu: %s from %s\n", i, t[i].helo, t[i].ip);
		json_decref(o);
	}
}

TEST(reverse_dns_as_the_mta_found_it)
{
	json_t *o = helo_check(&dns, "mail.sender.test", "192.0.2.25", "unknown", "unknown", &doc);
	CHECK(json_is_false(json_object_get(o, "fcrdns")));
	CHECK(has_finding(o, "message.client.no_ptr"));
	json_decref(o);
	o = helo_check(&dns, "mail.sender.test", "192.0.2.25", "unknown", "dsl-25.isp.example", &doc);
	CHECK(has_finding(o, "message.client.ptr_not_confirmed"));
	CHECK_STR(json_string_value(json_object_get(o, "ptr")), "dsl-25.isp.example");
	json_decref(o);
	o = helo_check(&dns, "mail.sender.test", "192.0.2.25", "mail.sender.test", "mail.sender.test", &doc);
	CHECK(json_is_true(json_object_get(o, "fcrdns")));
	CHECK_INT(json_array_size(json_object_get(o, "findings")), 0);
	json_decref(o);
	/* a saved message (mxray analyze): no MTA verdict, none given */
	o = helo_check(&dns, "mail.sender.test", "192.0.2.25", NULL, NULL, &doc);
	CHECK(json_is_null(json_object_get(o, "fcrdns")));
	CHECK(!has_finding(o, "message.client.no_ptr"));
	json_decref(o);
	/* a local client (loopback, RFC 1918): no DNS, no reverse-DNS verdict */
	o = helo_check(&dns, "nowhere.sender.test", "10.1.2.3", "unknown", "unknown", NULL);
	CHECK(json_is_true(json_object_get(o, "fqdn")));
	CHECK(json_is_null(json_object_get(o, "resolves")));
	CHECK(json_is_null(json_object_get(o, "fcrdns")));
	CHECK_INT(json_array_size(json_object_get(o, "findings")), 0);
	CHECK(strstr(json_string_value(json_object_get(o, "not_checked")) ?: "", "private") != NULL);
	json_decref(o);
	o = helo_check(&dns, "mailhost", "127.0.0.1", NULL, NULL, NULL);	/* syntax still judged */
	CHECK(has_finding(o, "message.helo.not_fqdn"));
	json_decref(o);
	/* ... unless [probe] allow_networks names it (a test network) */
	netrange_list_t allow;
	char err[128];
	CHECK_INT(netrange_list_parse("10.1.0.0/16", &allow, err, sizeof(err)), 0);
	o = helo_check(&dns, "nowhere.sender.test", "10.1.2.3", NULL, NULL, &allow);
	CHECK(has_finding(o, "message.helo.unresolvable"));
	json_decref(o);
	netrange_list_free(&allow);
	/* no HELO: nothing said about it */
	o = helo_check(&dns, NULL, "192.0.2.25", NULL, NULL, NULL);
	CHECK(json_is_null(json_object_get(o, "fqdn")));
	json_decref(o);
}

int main(void)
{
	char err[128];
	dns = fake_dns_source(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	if (netrange_list_parse("192.0.2.0/24 2001:db8::/32", &doc, err, sizeof(err)) != 0) {
		printf("not ok - allow list: %s\n", err);
		return 1;
	}
	RUN(helo_verdicts);
	RUN(reverse_dns_as_the_mta_found_it);
	netrange_list_free(&doc);
	return harness_done();
}
