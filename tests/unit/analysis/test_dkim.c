/*
 * test_dkim.c - DKIM verification for real, without a DNS server: the test
 * makes an RSA key, signs messages with libopendkim's signer, publishes
 * the key through canned DNS answers and verifies with dkim_verify.
 * Asserts: pass; a changed body or header fails, with the reason; a
 * DNSSEC-bogus key is temperror even when the key is right; SERVFAIL is
 * temperror; no key is permerror; every signature is reported; hostile
 * signature text stays printable.
 */
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "harness.h"
#include "fake_dns.h"
#include "analysis/dkim_verify.h"

static char key_pem[4096];
static char key_txt[2048];

static fake_rr_t zone[] = {
	{ .name = "s1._domainkey.sender.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .dnssec = DNSSEC_SECURE },
	{ .name = "s1._domainkey.bogus.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .dnssec = DNSSEC_BOGUS },
	{ .name = "s1._domainkey.bogus2.test", .type = ns_t_txt, .outcome = DNS_SERVFAIL,
	  .dnssec = DNSSEC_BOGUS },
	{ .name = "s1._domainkey.servfail.test", .type = ns_t_txt, .outcome = DNS_SERVFAIL },
	{ .name = "s1._domainkey.nokey.test", .type = ns_t_txt, .outcome = DNS_NXDOMAIN },
	{ .name = "s1._domainkey.testing.test", .type = ns_t_txt, .outcome = DNS_OK },
	{ .name = "s1._domainkey.revoked.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=DKIM1; k=rsa; p=" } },
};
static char key_txt_testing[2100];

static fake_dns_t fake;
static analysis_dns_t dns;
static dkim_verify_lib_t *vlib;
static DKIM_LIB *signlib;

static const char *headers[] = {
	"From: Alice <alice@sender.test>",
	"To: test@mxray.test",
	"Subject: mxray test",
	"Date: Sat, 22 Nov 2026 08:00:00 +0000",
	"Message-ID: <abc@sender.test>",
};
static const char body[] = "Hello mxray.\r\nSecond line.\r\n";

/* make_key - a fresh RSA key: PEM for the signer, p= for the TXT record. */
static int make_key(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048);
	if (pk == NULL)
		return -1;
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	int n = BIO_read(b, key_pem, sizeof(key_pem) - 1);
	key_pem[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	unsigned char *der = NULL;
	int dlen = i2d_PUBKEY(pk, &der);
	char b64[1024];
	EVP_EncodeBlock((unsigned char *)b64, der, dlen);
	snprintf(key_txt, sizeof(key_txt), "v=DKIM1; k=rsa; p=%s", b64);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return 0;
}

/* sign - the DKIM-Signature field (malloc'd) for d=domain over the sample. */
static char *sign(const char *domain)
{
	DKIM_STAT st;
	DKIM *d = dkim_sign(signlib, (const unsigned char *)"test", NULL,
			    (dkim_sigkey_t)key_pem, (const unsigned char *)"s1",
			    (const unsigned char *)domain, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
			    DKIM_SIGN_RSASHA256, -1, &st);
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		dkim_header(d, (u_char *)headers[i], strlen(headers[i]));
	dkim_eoh(d);
	dkim_body(d, (u_char *)body, strlen(body));
	char *out = NULL;
	if (dkim_eom(d, NULL) == DKIM_STAT_OK) {
		unsigned char buf[4096];
		const char *pre = "DKIM-Signature: ";
		if (dkim_getsighdr(d, buf, sizeof(buf), strlen(pre)) == DKIM_STAT_OK) {
			out = malloc(strlen(pre) + strlen((char *)buf) + 1);
			sprintf(out, "%s%s", pre, buf);
		}
	}
	dkim_free(d);
	return out;
}

/* feed - one "Name: value" field to the verifier, as the milter would. */
static void feed(dkim_verify_t *v, const char *field)
{
	char name[128];
	const char *colon = strchr(field, ':');
	size_t n = (size_t)(colon - field);
	memcpy(name, field, n);
	name[n] = '\0';
	dkim_verify_header(v, name, colon + 1, 1);
}

/* verify - run the verifier over sigs + the sample (possibly altered). */
static json_t *verify(char **sigs, size_t nsigs, const char *subject, const char *thebody)
{
	char err[256];
	dkim_verify_t *v = dkim_verify_new(vlib, "test", err, sizeof(err));
	CHECK(v != NULL);
	if (v == NULL)
		return json_array();
	for (size_t i = 0; i < nsigs; i++)
		feed(v, sigs[i]);
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
		feed(v, subject && strncmp(headers[i], "Subject:", 8) == 0 ? subject : headers[i]);
	dkim_verify_eoh(v);
	/* The body in two chunks, as an MTA may send it. */
	size_t half = strlen(thebody) / 2;
	dkim_verify_body(v, (const unsigned char *)thebody, half);
	dkim_verify_body(v, (const unsigned char *)thebody + half, strlen(thebody) - half);
	json_t *out = dkim_verify_finish(v);
	dkim_verify_free(v);
	return out;
}

static const char *field(json_t *arr, size_t i, const char *key)
{
	return json_string_value(json_object_get(json_array_get(arr, i), key));
}

static void check_one(const char *domain, const char *want, const char *reason_part)
{
	char *sig = sign(domain);
	CHECK(sig != NULL);
	if (sig == NULL)
		return;
	json_t *r = verify(&sig, 1, NULL, body);
	CHECK_INT(json_array_size(r), 1);
	CHECK_STR(field(r, 0, "domain"), domain);
	CHECK_STR(field(r, 0, "result"), want);
	const char *reason = field(r, 0, "reason");
	if (reason_part && (reason == NULL || strstr(reason, reason_part) == NULL))
		printf("#   %s: reason \"%s\" lacks \"%s\"\n", domain, reason ? reason : "(null)",
		       reason_part);
	CHECK(reason_part == NULL || (reason && strstr(reason, reason_part)));
	json_decref(r);
	free(sig);
}

TEST(good_signature_passes)
{
	char *sig = sign("sender.test");
	CHECK(sig != NULL);
	if (sig == NULL)
		return;
	int before = fake.queries;
	json_t *r = verify(&sig, 1, NULL, body);
	CHECK_INT(json_array_size(r), 1);
	CHECK_STR(field(r, 0, "domain"), "sender.test");
	CHECK_STR(field(r, 0, "selector"), "s1");
	CHECK_STR(field(r, 0, "algorithm"), "rsa-sha256");
	CHECK_STR(field(r, 0, "result"), "pass");
	CHECK(field(r, 0, "reason") && strstr(field(r, 0, "reason"), "2048-bit key, key DNSSEC secure"));
	/* the key came through our DNS hooks: libopendkim's lookup, then the
	 * key's facts (a CNAME, the DNSSEC status) from the resolver's cache */
	CHECK_INT(fake.queries - before, 2);
	json_decref(r);
	free(sig);
}

TEST(lf_folded_signature_passes_as_postfix_hands_it_over)
{
	/* Postfix gives a milter folded header values with bare LF; a real
	 * signed mail through the sandbox failed before CRLF was restored. */
	char *sig = sign("sender.test");
	CHECK(sig != NULL);
	if (sig == NULL)
		return;
	char *lf = malloc(strlen(sig) + 1), *o = lf;
	for (const char *p = sig; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			*o++ = *p;
	*o = '\0';
	CHECK(strchr(lf, '\n') != NULL);	/* the signature really is folded */
	json_t *r = verify(&lf, 1, NULL, body);
	CHECK_STR(field(r, 0, "result"), "pass");
	json_decref(r);
	free(lf);
	free(sig);
}

TEST(changed_body_or_header_fails_with_reason)
{
	char *sig = sign("sender.test");
	if (sig == NULL)
		return;
	json_t *r = verify(&sig, 1, NULL, "Hello mxray.\r\nSecond line, altered.\r\n");
	CHECK_STR(field(r, 0, "result"), "fail");
	CHECK(field(r, 0, "reason") && strstr(field(r, 0, "reason"), "body hash mismatch"));
	json_decref(r);
	r = verify(&sig, 1, "Subject: altered", body);
	CHECK_STR(field(r, 0, "result"), "fail");
	CHECK(field(r, 0, "reason") && strstr(field(r, 0, "reason"), "signature"));
	json_decref(r);
	free(sig);
}

/* long_subject - "Subject: xxx..." of len bytes in all (malloc'd). */
static char *long_subject(size_t len)
{
	char *subject = malloc(len + 1);
	memcpy(subject, "Subject: ", 9);
	memset(subject + 9, 'x', len - 9);
	subject[len] = '\0';
	return subject;
}

/* libopendkim verifies a field of up to 65535 bytes; a longer one it
 * silently hashes as nothing (a false fail), so it is not fed and the
 * caller is told its length to count it (message_limits_dkim_skip). */
TEST(fields_up_to_what_libopendkim_verifies)
{
	char *subject = long_subject(DKIM_VERIFY_HEADER_MAX);
	const char *saved = headers[2];
	headers[2] = subject;
	char *sig = sign("sender.test");
	headers[2] = saved;
	CHECK(sig != NULL);
	if (sig != NULL) {
		json_t *r = verify(&sig, 1, subject, body);
		CHECK_STR(field(r, 0, "result"), "pass");
		json_decref(r);
	}
	free(sig);
	free(subject);

	char err[256];
	dkim_verify_t *v = dkim_verify_new(vlib, "test", err, sizeof(err));
	subject = long_subject(DKIM_VERIFY_HEADER_MAX);
	CHECK_INT((int)dkim_verify_header(v, "Subject", subject + 8, 1), 0);
	free(subject);
	subject = long_subject(DKIM_VERIFY_HEADER_MAX + 1);
	CHECK_INT((int)dkim_verify_header(v, "Subject", subject + 8, 1), DKIM_VERIFY_HEADER_MAX + 1);
	free(subject);
	/* bare LF folds become CRLF: the length counted is the one fed */
	subject = long_subject(DKIM_VERIFY_HEADER_MAX - 10);
	for (int k = 0; k < 20; k++)
		subject[100 + k * 50] = '\n', subject[101 + k * 50] = ' ';
	CHECK_INT((int)dkim_verify_header(v, "Subject", subject + 8, 1), DKIM_VERIFY_HEADER_MAX + 10);
	free(subject);
	dkim_verify_free(v);
}

TEST(bogus_key_is_temperror_even_when_right)
{
	check_one("bogus.test", "temperror", "DNSSEC validation (bogus)");
	check_one("bogus2.test", "temperror", NULL);
}

TEST(servfail_is_temperror_and_no_key_is_permerror)
{
	check_one("servfail.test", "temperror", NULL);
	check_one("nokey.test", "permerror", "not found");
	check_one("absent.test", "temperror", NULL);	/* no reply packet at all */
}

TEST(every_signature_is_reported)
{
	char *sigs[2] = { sign("nokey.test"), sign("sender.test") };
	CHECK(sigs[0] != NULL && sigs[1] != NULL);
	if (sigs[0] == NULL || sigs[1] == NULL)
		return;
	json_t *r = verify(sigs, 2, NULL, body);
	CHECK_INT(json_array_size(r), 2);
	int pass = 0, perm = 0;
	for (size_t i = 0; i < json_array_size(r); i++) {
		const char *d = field(r, i, "domain"), *res = field(r, i, "result");
		if (d && res && strcmp(d, "sender.test") == 0 && strcmp(res, "pass") == 0)
			pass++;
		if (d && res && strcmp(d, "nokey.test") == 0 && strcmp(res, "permerror") == 0)
			perm++;
	}
	CHECK_INT(pass, 1);
	CHECK_INT(perm, 1);
	json_decref(r);
	free(sigs[0]);
	free(sigs[1]);
}

TEST(no_signature_is_an_empty_list)
{
	json_t *r = verify(NULL, 0, NULL, body);
	CHECK(json_is_array(r));
	CHECK_INT(json_array_size(r), 0);
	json_decref(r);
}

TEST(malformed_signature_is_reported_printable)
{
	char *bad = strdup("DKIM-Signature: v=1; a=rsa-sha256; d=ev\001il.test; s=s\377; "
			   "h=from; bh=AAAA; b=AAAA");
	json_t *r = verify(&bad, 1, NULL, body);
	CHECK_INT(json_array_size(r), 1);
	const char *res = field(r, 0, "result");
	CHECK(res != NULL && strcmp(res, "pass") != 0);
	char *text = json_dumps(r, JSON_COMPACT);
	for (const char *p = text; p && *p; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	if (text)
		printf("#   malformed signature gives %s\n", text);
	free(text);
	json_decref(r);
	free(bad);
}

/* has_finding - signature i of arr carries finding id. */
static int has_finding(json_t *arr, size_t i, const char *id)
{
	size_t k;
	json_t *f;
	json_array_foreach(json_object_get(json_array_get(arr, i), "findings"), k, f)
		if (strcmp(json_string_value(json_object_get(f, "id")), id) == 0)
			return 1;
	return 0;
}

TEST(key_record_details_and_findings)
{
	const char *doms[] = { "sender.test", "testing.test", "revoked.test", "bogus.test" };
	json_t *r[4];
	for (int i = 0; i < 4; i++) {
		char *sig = sign(doms[i]);
		r[i] = verify(&sig, 1, NULL, body);
		free(sig);
	}
	json_t *s0 = json_array_get(r[0], 0);
	CHECK_INT(json_integer_value(json_object_get(s0, "key_bits")), 2048);
	CHECK_STR(json_string_value(json_object_get(s0, "key_dnssec")), "secure");
	CHECK_STR(json_string_value(json_object_get(s0, "key_type")), "rsa");
	CHECK_STR(json_string_value(json_object_get(s0, "canonicalization")), "relaxed/simple");
	CHECK(json_array_size(json_object_get(s0, "headers")) >= 3);
	CHECK(json_is_null(json_object_get(s0, "body_length")));
	CHECK(!has_finding(r[0], 0, "dkim.key_weak"));
	/* t=y:s - testing, and the flag list is split on ':' */
	CHECK_STR(field(r[1], 0, "result"), "pass");
	CHECK(has_finding(r[1], 0, "dkim.key_testing"));
	CHECK(json_is_true(json_object_get(json_object_get(json_array_get(r[1], 0), "key"), "testing")));
	/* empty p=: revoked, never a pass */
	CHECK_STR(field(r[2], 0, "result"), "permerror");
	CHECK(has_finding(r[2], 0, "dkim.key_revoked"));
	/* bogus: the status and its finding, whatever libopendkim saw */
	CHECK_STR(json_string_value(json_object_get(json_array_get(r[3], 0), "key_dnssec")), "bogus");
	CHECK(has_finding(r[3], 0, "dkim.key_dnssec_bogus"));
	for (int i = 0; i < 4; i++)
		json_decref(r[i]);
}

int main(void)
{
	char err[256];
	if (make_key() != 0) {
		printf("not ok - cannot make an RSA key\n");
		return 1;
	}
	for (size_t i = 0; i < 2; i++)
		zone[i].text[0] = key_txt;
	snprintf(key_txt_testing, sizeof(key_txt_testing), "v=DKIM1; k=rsa; t=y:s; %s",
		 key_txt + strlen("v=DKIM1; k=rsa; "));
	zone[5].text[0] = key_txt_testing;
	dns = fake_dns_source(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	vlib = dkim_verify_lib_new(&dns, err, sizeof(err));
	signlib = dkim_init(NULL, NULL);
	if (vlib == NULL || signlib == NULL) {
		printf("not ok - library setup: %s\n", err);
		return 1;
	}
	RUN(good_signature_passes);
	RUN(lf_folded_signature_passes_as_postfix_hands_it_over);
	RUN(changed_body_or_header_fails_with_reason);
	RUN(fields_up_to_what_libopendkim_verifies);
	RUN(bogus_key_is_temperror_even_when_right);
	RUN(servfail_is_temperror_and_no_key_is_permerror);
	RUN(every_signature_is_reported);
	RUN(no_signature_is_an_empty_list);
	RUN(malformed_signature_is_reported_printable);
	RUN(key_record_details_and_findings);
	dkim_close(signlib);
	dkim_verify_lib_free(vlib);
	return harness_done();
}
