/*
 * dh_primes.c - the published DH primes, by hash (see dh_primes.h).
 */
#include <pthread.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "probe/dh_primes.h"

typedef struct known_prime {
	const char *name;
	BIGNUM *(*rfc)(BIGNUM *);	/* OpenSSL's RFC 2409/3526 getters, or */
	const char *group;		/* a DH group name OpenSSL's provider knows */
	uint8_t sha256[32];
	int ok;				/* the prime was obtained */
} known_prime_t;

static known_prime_t known[] = {
	{ "RFC 2409 group 1 (768 bits)", BN_get_rfc2409_prime_768, NULL, { 0 }, 0 },
	{ "RFC 2409 group 2 (1024 bits)", BN_get_rfc2409_prime_1024, NULL, { 0 }, 0 },
	{ "RFC 5114 section 2.1 (1024 bits)", NULL, "dh_1024_160", { 0 }, 0 },
	{ "RFC 3526 group 5 (1536 bits)", BN_get_rfc3526_prime_1536, NULL, { 0 }, 0 },
	{ "RFC 3526 group 14 (2048 bits)", BN_get_rfc3526_prime_2048, NULL, { 0 }, 0 },
	{ "RFC 5114 section 2.2 (2048 bits)", NULL, "dh_2048_224", { 0 }, 0 },
	{ "RFC 5114 section 2.3 (2048 bits)", NULL, "dh_2048_256", { 0 }, 0 },
	{ "RFC 3526 group 15 (3072 bits)", BN_get_rfc3526_prime_3072, NULL, { 0 }, 0 },
	{ "RFC 3526 group 16 (4096 bits)", BN_get_rfc3526_prime_4096, NULL, { 0 }, 0 },
	{ "RFC 3526 group 17 (6144 bits)", BN_get_rfc3526_prime_6144, NULL, { 0 }, 0 },
	{ "RFC 3526 group 18 (8192 bits)", BN_get_rfc3526_prime_8192, NULL, { 0 }, 0 },
	{ "ffdhe2048 (RFC 7919)", NULL, "ffdhe2048", { 0 }, 0 },
	{ "ffdhe3072 (RFC 7919)", NULL, "ffdhe3072", { 0 }, 0 },
	{ "ffdhe4096 (RFC 7919)", NULL, "ffdhe4096", { 0 }, 0 },
	{ "ffdhe6144 (RFC 7919)", NULL, "ffdhe6144", { 0 }, 0 },
	{ "ffdhe8192 (RFC 7919)", NULL, "ffdhe8192", { 0 }, 0 },
};

static pthread_once_t known_once = PTHREAD_ONCE_INIT;

void dh_prime_sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
	while (len > 0 && *p == 0) {
		p++;
		len--;
	}
	unsigned int n = 0;
	if (EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		memset(out, 0, 32);
}

/* group_prime - p of a named DH group, from OpenSSL's provider. */
static BIGNUM *group_prime(const char *group)
{
	BIGNUM *p = NULL;
	EVP_PKEY *params = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
	if (ctx != NULL && EVP_PKEY_paramgen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_group_name(ctx, group) == 1 && EVP_PKEY_paramgen(ctx, &params) == 1)
		(void)EVP_PKEY_get_bn_param(params, OSSL_PKEY_PARAM_FFC_P, &p);
	EVP_PKEY_free(params);
	EVP_PKEY_CTX_free(ctx);
	return p;
}

static void known_init(void)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		BIGNUM *p = known[i].rfc ? known[i].rfc(NULL) : group_prime(known[i].group);
		if (p == NULL)
			continue;
		uint8_t buf[1024];
		int n = BN_num_bytes(p);
		if (n > 0 && (size_t)n <= sizeof(buf) && BN_bn2bin(p, buf) == n) {
			dh_prime_sha256(buf, (size_t)n, known[i].sha256);
			known[i].ok = 1;
		}
		BN_free(p);
	}
}

const char *dh_prime_name(const uint8_t sha256[32])
{
	pthread_once(&known_once, known_init);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i].ok && memcmp(known[i].sha256, sha256, 32) == 0)
			return known[i].name;
	return NULL;
}
