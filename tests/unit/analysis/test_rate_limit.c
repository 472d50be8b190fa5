/*
 * test_rate_limit.c - the counters a test mail counts against: sender
 * (lowercased), its domain, the client's /24 or /48; none for what is
 * unknown (null sender, no client address).
 */
#include <string.h>

#include "harness.h"
#include "analysis/rate_limit.h"

TEST(keys_of_a_mail)
{
	rate_key_t k[RATE_KEYS];
	CHECK_INT(rate_keys("198.51.100.77", "Alice@Sender.TEST", k), 3);
	CHECK_STR(k[0].kind, "sender");
	CHECK_STR(k[0].value, "alice@sender.test");
	CHECK_STR(k[1].kind, "domain");
	CHECK_STR(k[1].value, "sender.test");
	CHECK_STR(k[2].kind, "network");
	CHECK_STR(k[2].value, "198.51.100.0/24");
	CHECK_INT(rate_keys("2001:db8:1:2:3::4", "", k), 1);
	CHECK_STR(k[0].value, "2001:db8:1::/48");
	CHECK_INT(rate_keys(NULL, NULL, k), 0);
	CHECK_INT(rate_keys("not-an-ip", "bob@x.test", k), 2);
}

int main(void)
{
	RUN(keys_of_a_mail);
	return harness_done();
}
