/*
 * test_dnsbl.c - blocklist answers: listed (with the TXT reason and a
 * finding), not listed (NXDOMAIN), and every answer that must mean "not
 * tested" and never "listed": the lists' error codes (127.255.255.x,
 * 127.0.0.1), answers outside 127/8, SERVFAIL, bogus DNSSEC. IPv6 names
 * are reversed nibbles.
 */
#include <string.h>

#include "harness.h"
#include "fake_dns.h"
#include "analysis/dnsbl.h"

static fake_rr_t zone[] = {
	{ .name = "2.100.51.198.bl.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "127.0.0.2", "127.0.0.4" } },
	{ .name = "2.100.51.198.bl.test", .type = ns_t_txt, .outcome = DNS_OK, .text = { "spam source" } },
	{ .name = "2.100.51.198.refuse.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "127.255.255.254" } },
	{ .name = "2.100.51.198.pub.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "127.0.0.1" } },
	{ .name = "2.100.51.198.wild.test", .type = ns_t_a, .outcome = DNS_OK, .text = { "192.0.2.80" } },
	{ .name = "2.100.51.198.down.test", .type = ns_t_a, .outcome = DNS_SERVFAIL },
	{ .name = "2.100.51.198.bogus.test", .type = ns_t_a, .outcome = DNS_OK, .dnssec = DNSSEC_BOGUS,
	  .text = { "127.0.0.2" } },
	{ .name = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test", .type = ns_t_a,
	  .outcome = DNS_OK, .text = { "127.0.0.3" } },
};
static fake_dns_t fake;
static analysis_dns_t dns;
/* The documentation ranges the cases use, allowed like a test network. */
static netrange_list_t allow;

static const char *state(json_t *a, size_t i)
{
	return json_string_value(json_object_get(json_array_get(a, i), "state"));
}

TEST(listed_not_listed_and_not_tested)
{
	json_t *a = dnsbl_check(&dns, "198.51.100.2",
				"bl.test refuse.test, pub.test wild.test down.test bogus.test none.test",
				&allow);
	CHECK_INT(json_array_size(a), 7);
	CHECK_STR(state(a, 0), "listed");
	CHECK_STR(json_string_value(json_object_get(json_array_get(a, 0), "reason")), "spam source");
	CHECK_INT(json_array_size(json_object_get(json_array_get(a, 0), "codes")), 2);
	CHECK_INT(json_array_size(json_object_get(json_array_get(a, 0), "findings")), 1);
	for (size_t i = 1; i <= 5; i++) {
		CHECK_STR(state(a, i), "not_tested");
		CHECK(json_object_get(json_array_get(a, i), "why_not_tested") != NULL);
		CHECK(json_object_get(json_array_get(a, i), "findings") == NULL);
	}
	CHECK_STR(state(a, 6), "not_listed");
	json_decref(a);
}

TEST(ipv6_nibbles_and_no_address)
{
	json_t *a = dnsbl_check(&dns, "2001:db8::1", "bl.test", &allow);
	CHECK_STR(state(a, 0), "listed");
	json_decref(a);
	a = dnsbl_check(&dns, NULL, "bl.test", &allow);
	CHECK_INT(json_array_size(a), 0);
	json_decref(a);
	a = dnsbl_check(&dns, "198.51.100.2", "", &allow);
	CHECK_INT(json_array_size(a), 0);
	json_decref(a);
}

/* A loopback or private client is on no public list: nothing is asked
 * (no query leaves, no wait for an answer), each list says why; outside
 * the allowed test network the documentation range is skipped too. */
TEST(non_public_clients_are_not_looked_up)
{
	static const char *const clients[] = { "127.0.0.1", "10.1.2.3", "192.168.1.1", "::1",
					       "fe80::1", "100.64.0.1", "198.51.100.2" };
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		int before = fake.queries;
		json_t *a = dnsbl_check(&dns, clients[i], "bl.test pub.test", NULL);
		CHECK_INT(json_array_size(a), 2);
		CHECK_STR(state(a, 0), "not_tested");
		CHECK_STR(state(a, 1), "not_tested");
		const char *why = json_string_value(json_object_get(json_array_get(a, 0), "why_not_tested"));
		CHECK(why != NULL && strstr(why, "on no public list") != NULL);
		CHECK(json_object_get(json_array_get(a, 0), "findings") == NULL);
		CHECK_INT(fake.queries, before);
		json_decref(a);
	}
}

int main(void)
{
	char err[128];
	dns = fake_dns_source(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	if (netrange_list_parse("198.51.100.0/24 2001:db8::/32", &allow, err, sizeof(err)) != 0) {
		printf("not ok - allow list: %s\n", err);
		return 1;
	}
	RUN(non_public_clients_are_not_looked_up);
	RUN(listed_not_listed_and_not_tested);
	RUN(ipv6_nibbles_and_no_address);
	netrange_list_free(&allow);
	return harness_done();
}
