/*
 * tls_suites.c - the cipher-suite table (see tls_suites.h). The data is
 * tls_suites.def, generated; this file only looks it up and classifies.
 */
#include <string.h>

#include "probe/tls_suites.h"

static const tls_suite_t tls_table[] = {
#define TLS_SUITE(c, i, o, k, a, e, b, m, x) { c, i, o, k, a, e, b, m, x },
#define SSL2_SUITE(c, i, o, k, a, e, b, m, x)
#include "probe/tls_suites.def"
#undef TLS_SUITE
#undef SSL2_SUITE
};

static const tls_suite_t ssl2_table[] = {
#define TLS_SUITE(c, i, o, k, a, e, b, m, x)
#define SSL2_SUITE(c, i, o, k, a, e, b, m, x) { c, i, o, k, a, e, b, m, x },
#include "probe/tls_suites.def"
#undef TLS_SUITE
#undef SSL2_SUITE
};

#define NTLS (sizeof(tls_table) / sizeof(tls_table[0]))
#define NSSL2 (sizeof(ssl2_table) / sizeof(ssl2_table[0]))

const tls_suite_t *tls_suite_find(uint32_t code)
{
	for (size_t i = 0; i < NTLS; i++)
		if (tls_table[i].code == code)
			return &tls_table[i];
	for (size_t i = 0; i < NSSL2; i++)
		if (ssl2_table[i].code == code)
			return &ssl2_table[i];
	return NULL;
}

const tls_suite_t *tls_suite_at(size_t i)
{
	return i < NTLS ? &tls_table[i] : NULL;
}

const tls_suite_t *tls_suite_ssl2_at(size_t i)
{
	return i < NSSL2 ? &ssl2_table[i] : NULL;
}

int tls_suite_is_tls13(const tls_suite_t *s)
{
	/* TLS 1.3 suites name no key exchange; besides 0x13xx: SM4 (RFC
	 * 8998), integrity only (RFC 9150), GOST MGM (RFC 9367) */
	return (s->code >= 0x1301 && s->code <= 0x13ff) || s->code == 0x00C6 || s->code == 0x00C7 ||
	       s->code == 0xC0B4 || s->code == 0xC0B5 || (s->code >= 0xC103 && s->code <= 0xC106);
}

int tls_suite_forward_secret(const tls_suite_t *s)
{
	if (tls_suite_is_tls13(s))
		return 1;
	/* ephemeral: DH/ECDH whose key is not the certificate's (DH/RSA is static) */
	return (strncmp(s->kx, "DH", 2) == 0 || strncmp(s->kx, "ECDH", 4) == 0 ||
		strcmp(s->kx, "DHEPSK") == 0 || strcmp(s->kx, "ECDHEPSK") == 0 ||
		strcmp(s->kx, "CECPQ1") == 0 || strcmp(s->kx, "ECCPWD") == 0) &&
	       strchr(s->kx, '/') == NULL && strcmp(s->au, "DH") != 0 &&
	       strcmp(s->au, "ECDH") != 0;
}

int tls_suite_anonymous(const tls_suite_t *s)
{
	return strcmp(s->au, "None") == 0 && strcmp(s->kx, "PSK") != 0 &&
	       strcmp(s->kx, "None") != 0;
}

int tls_suite_null(const tls_suite_t *s)
{
	return strcmp(s->enc, "None") == 0;
}

int tls_suite_rc4(const tls_suite_t *s)
{
	return strncmp(s->enc, "RC4", 3) == 0;
}

int tls_suite_64bit_block(const tls_suite_t *s)
{
	static const char *const small[] = { "3DES", "DES", "IDEA", "RC2", "SEED-64", "GOST89",
					     "CAST" };
	if (strncmp(s->enc, "SEED", 4) == 0)
		return 0;		/* SEED has 128-bit blocks */
	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (strncmp(s->enc, small[i], strlen(small[i])) == 0)
			return 1;
	return 0;
}

int tls_suite_cbc(const tls_suite_t *s)
{
	return !tls_suite_null(s) && !tls_suite_rc4(s) && strcmp(s->mac, "AEAD") != 0 &&
	       strncmp(s->enc, "ChaCha20", 8) != 0 && strncmp(s->enc, "GOST", 4) != 0 &&
	       strncmp(s->enc, "Kuznyechik", 10) != 0 && strncmp(s->enc, "Magma", 5) != 0;	/* CTR */
}
