/*
 * test_clienthello.c - the raw ClientHello builder and the strict
 * ServerHello reader: hello layout (record, versions, padding, 128-suite
 * cap, SSLv2 form), and a table of well-formed, truncated, malformed and
 * oversized server answers that must parse to the stated outcome without
 * reading outside the buffer (run under SANITIZE=1 to prove the latter).
 */
#include <stdint.h>
#include <stdlib.h>
#include "harness.h"
#include "probe/clienthello.h"
#include "probe/tls_suites.h"

static uint32_t suites[200];

static long build(int version, size_t n, const char *sni, uint8_t *out)
{
	for (size_t i = 0; i < n && i < 200; i++)
		suites[i] = tls_suite_at(i)->code;
	ch_params_t p = { .version = version, .suites = suites, .nsuites = n, .sni = sni,
			  .key_share_x25519 = 1 };
	return ch_build(&p, out, CH_HELLO_MAX);
}

TEST(hello_tls12_layout)
{
	uint8_t h[CH_HELLO_MAX];
	long n = build(CH_TLS12, 10, "mx.example", h);
	CHECK(n > 0);
	CHECK_INT(h[0], 22);
	CHECK_INT((h[1] << 8) | h[2], CH_TLS10);		/* record version */
	CHECK_INT((h[3] << 8) | h[4], n - 5);
	CHECK_INT(h[5], 1);					/* client_hello */
	CHECK_INT((h[6] << 16) | (h[7] << 8) | h[8], n - 9);
	CHECK_INT((h[9] << 8) | h[10], CH_TLS12);
	CHECK(memmem(h, (size_t)n, "mx.example", 10) != NULL);
}

TEST(hello_padding_lifts_256_to_511)
{
	uint8_t h[CH_HELLO_MAX];
	for (size_t k = 1; k <= 128; k++) {
		long n = build(CH_TLS12, k, "mx.example", h);
		CHECK(n > 0);
		CHECK(!(n - 5 >= 256 && n - 5 < 512));
	}
}

TEST(hello_limits)
{
	uint8_t h[CH_HELLO_MAX];
	CHECK_INT(build(CH_TLS12, 129, NULL, h), -1);
	CHECK_INT(build(CH_TLS12, 0, NULL, h), -1);
	CHECK(build(CH_TLS12, 128, NULL, h) > 0);
	CHECK_INT(build(0x0305, 5, NULL, h), -1);
	uint8_t small[40];
	ch_params_t p = { .version = CH_TLS12, .suites = suites, .nsuites = 5 };
	CHECK_INT(ch_build(&p, small, sizeof(small)), -1);
}

TEST(hello_tls13_and_ssl)
{
	uint8_t h[CH_HELLO_MAX];
	long n = build(CH_TLS13, 3, NULL, h);
	CHECK(n > 0);
	CHECK_INT((h[9] << 8) | h[10], CH_TLS12);		/* legacy_version */
	static const uint8_t sv[] = { 0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04 };
	CHECK(memmem(h, (size_t)n, sv, sizeof(sv)) != NULL);
	n = build(CH_SSL3, 3, NULL, h);
	CHECK_INT((h[1] << 8) | h[2], CH_SSL3);
	uint32_t s2[] = { 0x010080, 0x0700C0 };
	ch_params_t p = { .version = CH_SSL2, .suites = s2, .nsuites = 2 };
	n = ch_build(&p, h, sizeof(h));
	CHECK_INT(n, 2 + 9 + 6 + 16);
	CHECK_INT(h[0], 0x80);
	CHECK_INT(h[2], 1);
}

/* sh - a ServerHello record: version, suite, extensions (raw). */
static size_t sh(uint8_t *out, int version, unsigned suite, const uint8_t *ext, size_t elen,
		 int downgrade)
{
	size_t body = 2 + 32 + 1 + 2 + 1 + (ext ? 2 + elen : 0);
	uint8_t *p = out;
	*p++ = 22; *p++ = 3; *p++ = 3; *p++ = (uint8_t)((body + 4) >> 8); *p++ = (uint8_t)(body + 4);
	*p++ = 2; *p++ = 0; *p++ = (uint8_t)(body >> 8); *p++ = (uint8_t)body;
	*p++ = (uint8_t)(version >> 8); *p++ = (uint8_t)version;
	memset(p, 0x11, 32);
	if (downgrade)
		memcpy(p + 24, "DOWNGRD\x01", 8);
	p += 32;
	*p++ = 0;
	*p++ = (uint8_t)(suite >> 8); *p++ = (uint8_t)suite;
	*p++ = 0;
	if (ext) {
		*p++ = (uint8_t)(elen >> 8); *p++ = (uint8_t)elen;
		memcpy(p, ext, elen);
		p += elen;
	}
	return (size_t)(p - out);
}

TEST(parse_server_hello)
{
	uint8_t b[512];
	ch_reply_t r;
	static const uint8_t ext[] = { 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x17, 0x00, 0x00 };
	size_t n = sh(b, CH_TLS12, 0xC02F, ext, sizeof(ext), 1);
	CHECK_INT(ch_parse(b, n, CH_TLS12, 0, &r), 1);
	CHECK_INT(r.outcome, CH_SERVER_HELLO);
	CHECK_INT(r.version, CH_TLS12);
	CHECK_INT(r.suite, 0xC02F);
	CHECK_INT(r.reneg_info, 1);
	CHECK_INT(r.ems, 1);
	CHECK_INT(r.downgrade, 12);
	/* every truncation needs more bytes, never a crash or a verdict */
	for (size_t k = 0; k < n; k++)
		CHECK_INT(ch_parse(b, k, CH_TLS12, 0, &r), 0);
	/* fragmented: the handshake message split over two records */
	uint8_t f[600];
	size_t h1 = 10, rest = n - 5 - h1;
	memcpy(f, b, 5);
	f[3] = 0; f[4] = (uint8_t)h1;
	memcpy(f + 5, b + 5, h1);
	f[5 + h1] = 22; f[6 + h1] = 3; f[7 + h1] = 3; f[8 + h1] = (uint8_t)(rest >> 8);
	f[9 + h1] = (uint8_t)rest;
	memcpy(f + 10 + h1, b + 5 + h1, rest);
	CHECK_INT(ch_parse(f, n + 5, CH_TLS12, 0, &r), 1);
	CHECK_INT(r.suite, 0xC02F);
	/* TLS 1.3 by supported_versions, key_share group */
	static const uint8_t e13[] = { 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04,
				       0x00, 0x33, 0x00, 0x02, 0x00, 0x1d };
	n = sh(b, CH_TLS12, 0x1301, e13, sizeof(e13), 0);
	CHECK_INT(ch_parse(b, n, CH_TLS13, 0, &r), 1);
	CHECK_INT(r.version, CH_TLS13);
	CHECK_INT(r.group, 0x1d);
}

struct bad_case {
	const char *name;
	uint8_t bytes[64];
	size_t len;
	ch_outcome_t want;
};

TEST(parse_table)
{
	static const struct bad_case cases[] = {
		{ "alert", { 21, 3, 3, 0, 2, 2, 40 }, 7, CH_ALERT },
		{ "alert 3 bytes", { 21, 3, 3, 0, 3, 2, 40, 0 }, 8, CH_MALFORMED },
		{ "smtp reply", { '4', '5', '4', ' ', 'n', 'o', '\r', '\n' }, 8, CH_MALFORMED },
		{ "garbage", { 0x99, 1, 2, 3, 4, 5 }, 6, CH_MALFORMED },
		{ "oversized record", { 22, 3, 3, 0xff, 0xff }, 5, CH_MALFORMED },
		{ "empty record", { 22, 3, 3, 0, 0 }, 5, CH_MALFORMED },
		{ "not a server hello", { 22, 3, 3, 0, 4, 11, 0, 0, 0 }, 9, CH_MALFORMED },
		{ "hello too short", { 22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3 }, 11, CH_MALFORMED },
		{ "huge handshake length", { 22, 3, 3, 0, 4, 2, 0xff, 0xff, 0xff }, 9, CH_MALFORMED },
		{ "appdata first", { 23, 3, 3, 0, 1, 0 }, 6, CH_MALFORMED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ch_reply_t r;
		int done = ch_parse(cases[i].bytes, cases[i].len, CH_TLS12, 0, &r);
		if (done != 1 || r.outcome != cases[i].want)
			printf("#   case %s: done %d outcome %s\n", cases[i].name, done,
			       ch_outcome_name(r.outcome));
		CHECK(done == 1 && r.outcome == cases[i].want);
	}
	/* a ServerHello whose extension list overruns the message */
	uint8_t b[512];
	static const uint8_t ext[] = { 0x00, 0x2b, 0x00, 0x09, 0x03 };
	ch_reply_t r;
	size_t n = sh(b, CH_TLS12, 0xC02F, ext, sizeof(ext), 0);
	CHECK_INT(ch_parse(b, n, CH_TLS12, 0, &r), 1);
	CHECK_INT(r.outcome, CH_MALFORMED);
	/* random bytes: always a verdict or "need more", never a crash */
	srand(5);
	for (int k = 0; k < 20000; k++) {
		uint8_t x[300];
		size_t len = (size_t)(rand() % (int)sizeof(x));
		for (size_t j = 0; j < len; j++)
			x[j] = (uint8_t)rand();
		if (len > 0 && k % 2)
			x[0] = 22;
		if (len > 2 && k % 4 == 1) {
			x[1] = 3;
			x[3] = 0;
		}
		(void)ch_parse(x, len, k % 3 ? CH_TLS12 : CH_SSL2, k % 5 == 0, &r);
	}
}

TEST(suite_table)
{
	const tls_suite_t *s = tls_suite_find(0xC02F);
	CHECK(s != NULL);
	CHECK_STR(s->iana, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	CHECK(tls_suite_forward_secret(s));
	CHECK(!tls_suite_cbc(s));
	CHECK(tls_suite_rc4(tls_suite_find(0x0005)));
	CHECK(tls_suite_64bit_block(tls_suite_find(0x000A)));
	CHECK(tls_suite_anonymous(tls_suite_find(0x0034)));
	CHECK(!tls_suite_forward_secret(tls_suite_find(0x002F)));
	CHECK(tls_suite_find(0x0063)->export_grade);
	CHECK(tls_suite_null(tls_suite_find(0x0002)));
	CHECK(tls_suite_find(0x010080) != NULL);
}

/* IANA-registered suites testssl.sh's mapping lacks (tls_suites_iana.txt):
 * in the table, offered with the right protocol, classified right. */
TEST(suite_table_iana_additions)
{
	static const struct { uint32_t code; const char *iana; int tls13; } add[] = {
		{ 0x00C6, "TLS_SM4_GCM_SM3", 1 },
		{ 0x00C7, "TLS_SM4_CCM_SM3", 1 },
		{ 0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", 0 },
		{ 0xC0B4, "TLS_SHA256_SHA256", 1 },
		{ 0xC0B5, "TLS_SHA384_SHA384", 1 },
		{ 0xC100, "TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC", 0 },
		{ 0xC106, "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S", 1 },
		{ 0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", 0 },
	};
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		const tls_suite_t *s = tls_suite_find(add[i].code);
		CHECK(s != NULL);
		if (s == NULL)
			continue;
		CHECK_STR(s->iana, add[i].iana);
		CHECK(tls_suite_is_tls13(s) == add[i].tls13);
	}
	CHECK(tls_suite_find(0xD004) == NULL);		/* unassigned */
	CHECK(tls_suite_null(tls_suite_find(0xC0B4)));	/* integrity only */
	CHECK(tls_suite_forward_secret(tls_suite_find(0xC0B1)));
	CHECK(!tls_suite_cbc(tls_suite_find(0xC100)));	/* CTR, not CBC */
	CHECK(tls_suite_forward_secret(tls_suite_find(0xD001)));
}

int main(void)
{
	RUN(hello_tls12_layout);
	RUN(hello_padding_lifts_256_to_511);
	RUN(hello_limits);
	RUN(hello_tls13_and_ssl);
	RUN(parse_server_hello);
	RUN(parse_table);
	RUN(suite_table);
	RUN(suite_table_iana_additions);
	return harness_done();
}
