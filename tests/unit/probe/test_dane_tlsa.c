/* test_dane_tlsa.c - TLSA rdata as the DNS hands it over (RFC 6698 2.1):
 * which records are kept for DANE verification, which are reported as
 * unusable for SMTP (RFC 7672 3.1.3), and which are malformed. */
#include <stdlib.h>
#include "harness.h"
#include "probe/dane.h"

TEST(tlsa_usable_records)
{
	unsigned char rd[3 + 64];
	static const struct { unsigned char u, s, m; size_t len; int usable; const char *name; } t[] = {
		{ 3, 1, 1, 32, 1, "DANE-EE" },	/* the common "3 1 1" */
		{ 2, 0, 1, 32, 1, "DANE-TA" },
		{ 3, 1, 2, 64, 1, "DANE-EE" },	/* SHA-512 */
		{ 3, 0, 0, 40, 1, "DANE-EE" },	/* full certificate: any non-empty length */
		{ 1, 1, 1, 32, 0, "PKIX-EE" },	/* valid, but not for SMTP */
		{ 0, 0, 1, 32, 0, "PKIX-TA" },
		{ 3, 2, 1, 32, 0, "DANE-EE" },	/* unknown selector */
		{ 4, 1, 1, 32, 0, "unknown" },	/* unknown usage */
		{ 3, 1, 7, 5, 0, "DANE-EE" },	/* unknown matching type: no length rule */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rd[0] = t[i].u;
		rd[1] = t[i].s;
		rd[2] = t[i].m;
		for (size_t k = 0; k < t[i].len; k++)
			rd[3 + k] = (unsigned char)(0xa0 + k);
		dane_tlsa_t kept;
		memset(&kept, 0, sizeof(kept));
		int usable = -1;
		char problem[300];
		json_t *rec = dane_tlsa_parse(rd, 3 + t[i].len, i + 1, &kept, &usable, problem,
					      sizeof(problem));
		CHECK(rec != NULL);
		CHECK_STR(problem, "");
		CHECK_INT(usable, t[i].usable);
		CHECK_INT(json_is_true(json_object_get(rec, "usable")), t[i].usable);
		CHECK_STR(json_string_value(json_object_get(rec, "usage_name")), t[i].name);
		CHECK_INT(json_integer_value(json_object_get(rec, "matching_type")), t[i].m);
		CHECK_INT(strlen(json_string_value(json_object_get(rec, "data")) ?: ""), 2 * t[i].len);
		if (t[i].usable) {
			CHECK_INT(kept.usage, t[i].u);
			CHECK_INT(kept.len, t[i].len);
			CHECK(memcmp(kept.data, rd + 3, t[i].len) == 0);
		} else {
			CHECK_INT(kept.len, 0);
		}
		json_decref(rec);
	}
}

TEST(tlsa_hex_is_lowercase_and_exact)
{
	const unsigned char rd[] = { 3, 1, 0, 0x00, 0xff, 0x10 };	/* 3 1 0: raw SPKI */
	int usable = 0;
	char problem[300];
	json_t *rec = dane_tlsa_parse(rd, sizeof(rd), 1, NULL, &usable, problem, sizeof(problem));
	CHECK_STR(json_string_value(json_object_get(rec, "data")), "00ff10");
	CHECK_INT(usable, 1);
	json_decref(rec);
}

/* A 3 0 0 record carries a whole certificate: one of 4000 bytes (many
 * names, a 4096-bit key) is a record like any other, not malformed. */
TEST(tlsa_full_certificate_over_2k_is_kept)
{
	static unsigned char rd[3 + 4000];
	rd[0] = 3;
	rd[1] = 0;
	rd[2] = 0;
	for (size_t k = 3; k < sizeof(rd); k++)
		rd[k] = (unsigned char)k;
	dane_tlsa_t kept;
	memset(&kept, 0, sizeof(kept));
	int usable = -1;
	char problem[300];
	json_t *rec = dane_tlsa_parse(rd, sizeof(rd), 1, &kept, &usable, problem, sizeof(problem));
	CHECK(rec != NULL);
	CHECK_STR(problem, "");
	CHECK_INT(usable, 1);
	CHECK_INT(kept.len, 4000);
	CHECK(kept.data == rd + 3);
	CHECK_INT(strlen(json_string_value(json_object_get(rec, "data")) ?: ""), 8000);
	CHECK(strncmp(json_string_value(json_object_get(rec, "data")) ?: "", "030405", 6) == 0);
	json_decref(rec);
	/* the most a DNS record can hold, too */
	static unsigned char most[3 + DANE_TLSA_DATA_MAX];
	most[0] = 3;
	usable = -1;
	rec = dane_tlsa_parse(most, sizeof(most), 2, &kept, &usable, problem, sizeof(problem));
	CHECK(rec != NULL);
	CHECK_INT(usable, 1);
	json_decref(rec);
}

TEST(tlsa_malformed_records)
{
	static unsigned char big[3 + DANE_TLSA_DATA_MAX + 1];
	memset(big, 0x41, sizeof(big));
	big[0] = 3;
	big[1] = 0;
	big[2] = 0;
	const unsigned char short3[] = { 3, 1, 1 };
	const unsigned char sha256_31[3 + 31] = { 3, 1, 1 };
	const unsigned char sha512_32[3 + 32] = { 3, 1, 2 };
	const unsigned char full_empty[3] = { 3, 0, 0 };
	const struct { const unsigned char *p; size_t n; const char *want; } t[] = {
		{ short3, sizeof(short3), "TLSA record 1: 3 bytes of rdata, not a valid record: 030101" },
		{ NULL, 0, "TLSA record 2: 0 bytes of rdata, not a valid record: " },
		{ sha256_31, sizeof(sha256_31),
		  "TLSA record 3: 34 bytes of rdata (hash length does not fit the matching type), "
		  "not a valid record: 030101" },
		{ sha512_32, sizeof(sha512_32),
		  "TLSA record 4: 35 bytes of rdata (hash length does not fit the matching type), "
		  "not a valid record: 030102" },
		{ full_empty, sizeof(full_empty), "TLSA record 5: 3 bytes of rdata, not a valid record: 030000" },
		{ big, sizeof(big), "TLSA record 6: 65536 bytes of rdata (more association data than a "
		  "DNS record can hold), not a valid record: 030000" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		dane_tlsa_t kept;
		int usable = -1;
		char problem[300];
		json_t *rec = dane_tlsa_parse(t[i].p, t[i].n, i + 1, &kept, &usable, problem,
					      sizeof(problem));
		CHECK(rec == NULL);
		CHECK_INT(usable, 0);
		/* The quoted bytes are bounded: compare the fixed start only. */
		CHECK(strncmp(problem, t[i].want, strlen(t[i].want)) == 0);
		if (strncmp(problem, t[i].want, strlen(t[i].want)) != 0)
			printf("#   got \"%s\"\n", problem);
		json_decref(rec);
	}
	/* The quoted rdata stops after 64 bytes and says it was cut. */
	char problem[300];
	(void)dane_tlsa_parse(big, sizeof(big), 6, NULL, NULL, problem, sizeof(problem));
	CHECK(strlen(problem) < 300 && strstr(problem, "...") != NULL);
}

int main(void)
{
	RUN(tlsa_usable_records);
	RUN(tlsa_hex_is_lowercase_and_exact);
	RUN(tlsa_full_certificate_over_2k_is_kept);
	RUN(tlsa_malformed_records);
	return harness_done();
}
