/* test_dh_primes.c - the published DH primes are recognized by their
 * bytes as a server sends them (with or without a leading zero byte), and
 * a prime of a server's own is not. */
#include <openssl/bn.h>
#include "harness.h"
#include "probe/dh_primes.h"

/* name_of - dh_prime_name of p as the wire would carry it. */
static const char *name_of(const BIGNUM *p, int leading_zero)
{
	uint8_t buf[1100], h[32];
	int n = BN_num_bytes(p);
	buf[0] = 0;
	BN_bn2bin(p, buf + (leading_zero ? 1 : 0));
	dh_prime_sha256(buf, (size_t)n + (leading_zero ? 1 : 0), h);
	return dh_prime_name(h);
}

TEST(published_primes_named)
{
	static const struct { BIGNUM *(*get)(BIGNUM *); const char *name; } t[] = {
		{ BN_get_rfc2409_prime_768, "RFC 2409 group 1 (768 bits)" },
		{ BN_get_rfc2409_prime_1024, "RFC 2409 group 2 (1024 bits)" },
		{ BN_get_rfc3526_prime_2048, "RFC 3526 group 14 (2048 bits)" },
		{ BN_get_rfc3526_prime_8192, "RFC 3526 group 18 (8192 bits)" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		BIGNUM *p = t[i].get(NULL);
		CHECK_STR(name_of(p, 0), t[i].name);
		CHECK_STR(name_of(p, 1), t[i].name);	/* a leading zero does not matter */
		BN_free(p);
	}
}

TEST(own_prime_not_named)
{
	/* RFC 2409 group 2 with its last bit flipped: not the published prime */
	BIGNUM *p = BN_get_rfc2409_prime_1024(NULL);
	BN_sub_word(p, 2);
	CHECK(name_of(p, 0) == NULL);
	BN_free(p);
	uint8_t h[32];
	const uint8_t junk[3] = { 0, 0, 7 };
	dh_prime_sha256(junk, sizeof(junk), h);
	CHECK(dh_prime_name(h) == NULL);
}

int main(void)
{
	RUN(published_primes_named);
	RUN(own_prime_not_named);
	return harness_done();
}
