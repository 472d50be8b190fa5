/*
 * tls_probe.c - TLS client set-up and handshake facts (see tls_probe.h).
 *
 * Trusts: the configured CA bundle, OpenSSL's parsing. Does not trust any
 * field of a peer certificate: names, SANs and DNs are made printable and
 * bounded; a chain longer than TLS_CHAIN_MAX is cut.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "base/clock.h"
#include "mail/record.h"
#include "probe/tls_probe.h"

#define TLS_CHAIN_MAX 10
#define TLS_SANS_MAX 100

SSL_CTX *tls_probe_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	/* Measure legacy servers instead of refusing them. */
	SSL_CTX_set_security_level(ctx, 0);
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, 0);
	SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0");
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	/* Complete the handshake whatever the certificate; read the verdict after. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (ca_file != NULL && ca_file[0] != '\0' &&
	    SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		unsigned long e = ERR_get_error();
		snprintf(err, errlen, "[probe] ca_file %s: %s (is it a readable PEM bundle?)",
			 ca_file, e ? ERR_reason_error_string(e) : "cannot load");
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

SSL *tls_probe_ssl_new(SSL_CTX *ctx, const char *host, char *err, size_t errlen)
{
	SSL *ssl = SSL_new(ctx);
	if (ssl == NULL) {
		snprintf(err, errlen, "SSL_new failed");
		return NULL;
	}
	if (host != NULL && host[0] != '\0' && SSL_set_tlsext_host_name(ssl, host) != 1) {
		/* A name OpenSSL will not put in SNI: go on without SNI. */
		ERR_clear_error();
	}
	return ssl;
}

const char *tls_version_name(int version)
{
	switch (version) {
	case SSL3_VERSION: return "SSLv3";
	case TLS1_VERSION: return "TLSv1.0";
	case TLS1_1_VERSION: return "TLSv1.1";
	case TLS1_2_VERSION: return "TLSv1.2";
	case TLS1_3_VERSION: return "TLSv1.3";
	default: return "unknown";
	}
}

/* bio_text - take what was written to a memory BIO as a record string. */
static json_t *bio_text(BIO *b)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	json_t *j = record_text(p ? p : "", n > 0 ? (size_t)n : 0);
	BIO_free(b);
	return j;
}

static json_t *name_text(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (b == NULL || n == NULL) {
		BIO_free(b);
		return json_null();
	}
	X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
	return bio_text(b);
}

static json_t *asn1_time_text(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return json_null();
	if (strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return json_null();
	return json_string(buf);
}

static json_t *sans_of(X509 *x)
{
	json_t *arr = json_array();
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (g == NULL)
		return arr;
	int n = sk_GENERAL_NAME_num(g);
	for (int i = 0; i < n && json_array_size(arr) < TLS_SANS_MAX; i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
		if (gn->type != GEN_DNS)
			continue;
		const ASN1_IA5STRING *s = gn->d.dNSName;
		json_array_append_new(arr, record_text((const char *)ASN1_STRING_get0_data(s),
						       (size_t)ASN1_STRING_length(s)));
	}
	GENERAL_NAMES_free(g);
	return arr;
}

static json_t *key_text(X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char buf[64];

	if (k == NULL)
		return json_null();
	int bits = EVP_PKEY_get_bits(k);
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA: snprintf(buf, sizeof(buf), "RSA %d", bits); break;
	case EVP_PKEY_RSA_PSS: snprintf(buf, sizeof(buf), "RSA-PSS %d", bits); break;
	case EVP_PKEY_EC: snprintf(buf, sizeof(buf), "EC %d", bits); break;
	case EVP_PKEY_ED25519: snprintf(buf, sizeof(buf), "ED25519"); break;
	case EVP_PKEY_ED448: snprintf(buf, sizeof(buf), "ED448"); break;
	case EVP_PKEY_DSA: snprintf(buf, sizeof(buf), "DSA %d", bits); break;
	default: snprintf(buf, sizeof(buf), "%s %d", OBJ_nid2sn(EVP_PKEY_get_base_id(k)), bits);
	}
	return json_string(buf);
}

/* digest_hex - hex of a digest of DER bytes, the form TLSA records use. */
static json_t *digest_hex(const EVP_MD *md, const unsigned char *der, int len)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	if (len <= 0 || EVP_Digest(der, (size_t)len, d, &n, md, NULL) != 1)
		return json_null();
	for (unsigned int i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return json_string(hex);
}

/* cert_hashes - SHA-256 and SHA-512 of the whole certificate and of its
 * SubjectPublicKeyInfo: what TLSA records (RFC 6698 2.1) match against,
 * and what an admin needs to publish one. */
static json_t *cert_hashes(X509 *x)
{
	json_t *h = json_object();
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	json_object_set_new(h, "cert_sha256", digest_hex(EVP_sha256(), der, len));
	json_object_set_new(h, "cert_sha512", digest_hex(EVP_sha512(), der, len));
	OPENSSL_free(der);
	der = NULL;
	len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	json_object_set_new(h, "spki_sha256", digest_hex(EVP_sha256(), der, len));
	json_object_set_new(h, "spki_sha512", digest_hex(EVP_sha512(), der, len));
	OPENSSL_free(der);
	return h;
}

json_t *tls_cert_describe(X509 *x)
{
	json_t *o = json_object();
	int days = 0, secs = 0;

	json_object_set_new(o, "subject", name_text(X509_get_subject_name(x)));
	json_object_set_new(o, "issuer", name_text(X509_get_issuer_name(x)));
	json_object_set_new(o, "sans", sans_of(x));
	json_object_set_new(o, "not_before", asn1_time_text(X509_get0_notBefore(x)));
	json_object_set_new(o, "not_after", asn1_time_text(X509_get0_notAfter(x)));
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) == 1)
		json_object_set_new(o, "days_left", json_integer(days));
	else
		json_object_set_new(o, "days_left", json_null());
	json_object_set_new(o, "key", key_text(x));
	int sig = X509_get_signature_nid(x);
	json_object_set_new(o, "signature", sig != NID_undef ? json_string(OBJ_nid2ln(sig))
							      : json_null());
	json_object_set_new(o, "hashes", cert_hashes(x));
	return o;
}

static json_t *group_text(SSL *ssl)
{
	int nid = SSL_get_negotiated_group(ssl);
	const char *name = NULL;

	if (nid <= 0)
		return json_null();
	name = SSL_group_to_name(ssl, nid);
	if (name == NULL && !(nid & TLSEXT_nid_unknown))
		name = OBJ_nid2sn(nid);
	if (name == NULL) {
		char buf[32];
		snprintf(buf, sizeof(buf), "0x%04X", nid & 0xffff);
		return json_string(buf);
	}
	return json_string(name);
}

/* What chain_complete_cb saw while OpenSSL built the chain. */
typedef struct chain_gap {
	int missing;			/* an issuer neither sent nor in the store */
	json_t *issuer;			/* that issuer's name (new reference) */
} chain_gap_t;

/* chain_complete_cb - note the first issuer OpenSSL could not find and
 * carry on: every other fault (expiry, name, purpose) is judged elsewhere. */
static int chain_complete_cb(int ok, X509_STORE_CTX *x)
{
	int e = X509_STORE_CTX_get_error(x);
	chain_gap_t *gap = X509_STORE_CTX_get_app_data(x);
	if (!ok && gap != NULL && !gap->missing &&
	    (e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY || e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)) {
		X509 *cur = X509_STORE_CTX_get_current_cert(x);
		gap->missing = 1;
		gap->issuer = cur ? name_text(X509_get_issuer_name(cur)) : json_null();
	}
	return 1;
}

/* chain_completeness - "chain_complete": does the chain the server sent
 * lead to a certificate of the trust store, or to a self-signed one, with
 * nothing missing in between (an intermediate CA the server failed to
 * send is the common fault: browsers mask it by fetching the issuer,
 * MTAs do not)? false with "chain_missing_issuer", the name of the issuer
 * that is neither in the chain nor in the store. A self-signed leaf is
 * complete (and untrusted: verify_error says so). */
static void chain_completeness(SSL *ssl, X509 *leaf, json_t *o)
{
	chain_gap_t gap = { 0, NULL };
	X509_STORE *store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
	X509_STORE_CTX *x = leaf ? X509_STORE_CTX_new() : NULL;
	if (x == NULL || X509_STORE_CTX_init(x, store, leaf, SSL_get_peer_cert_chain(ssl)) != 1) {
		ERR_clear_error();
		X509_STORE_CTX_free(x);
		json_object_set_new(o, "chain_complete", json_null());
		json_object_set_new(o, "chain_missing_issuer", json_null());
		return;
	}
	X509_STORE_CTX_set_app_data(x, &gap);
	X509_STORE_CTX_set_verify_cb(x, chain_complete_cb);
	(void)X509_verify_cert(x);
	ERR_clear_error();
	X509_STORE_CTX_free(x);
	json_object_set_new(o, "chain_complete", json_boolean(!gap.missing));
	json_object_set_new(o, "chain_missing_issuer", gap.issuer ? gap.issuer : json_null());
}

const char *tls_key_type(X509 *x)
{
	EVP_PKEY *k = x ? X509_get0_pubkey(x) : NULL;
	switch (k ? EVP_PKEY_get_base_id(k) : NID_undef) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return "RSA";
	case EVP_PKEY_EC:
		return "ECDSA";
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return "EdDSA";
	case EVP_PKEY_DSA:
		return "DSA";
	default:
		return NULL;
	}
}

json_t *tls_probe_describe(SSL *ssl, const char *host)
{
	json_t *o = json_object();
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	char code[16];

	json_object_set_new(o, "version", json_string(tls_version_name(SSL_version(ssl))));
	if (c != NULL) {
		const char *std = SSL_CIPHER_standard_name(c);
		json_object_set_new(o, "cipher", json_string(std ? std : SSL_CIPHER_get_name(c)));
		snprintf(code, sizeof(code), "0x%04X",
			 (unsigned)(SSL_CIPHER_get_protocol_id(c) & 0xffff));
		json_object_set_new(o, "cipher_code", json_string(code));
	} else {
		json_object_set_new(o, "cipher", json_null());
		json_object_set_new(o, "cipher_code", json_null());
	}
	json_object_set_new(o, "group", group_text(ssl));

	X509 *leaf = SSL_get1_peer_certificate(ssl);
	long vr = SSL_get_verify_result(ssl);
	int verified = leaf != NULL && vr == X509_V_OK;
	json_object_set_new(o, "verified", json_boolean(verified));
	if (leaf == NULL)
		json_object_set_new(o, "verify_error", json_string("no certificate presented"));
	else if (vr != X509_V_OK)
		json_object_set_new(o, "verify_error", json_string(X509_verify_cert_error_string(vr)));
	else
		json_object_set_new(o, "verify_error", json_null());
	int match = 0;
	if (leaf != NULL && host != NULL && host[0] != '\0')
		match = X509_check_host(leaf, host, strlen(host),
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	json_object_set_new(o, "name_match", json_boolean(match));
	const char *kt = tls_key_type(leaf);
	json_object_set_new(o, "key_type", kt ? json_string(kt) : json_null());
	chain_completeness(ssl, leaf, o);
	X509_free(leaf);

	json_t *chain = json_array();
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(ssl);
	int n = sk ? sk_X509_num(sk) : 0;
	for (int i = 0; i < n && i < TLS_CHAIN_MAX; i++) {
		json_t *cert = tls_cert_describe(sk_X509_value(sk, i));
		/* The certificate itself: for admins, and for the DANE check
		 * (dane.c), which verifies the chain as sent. The
		 * PEM is ASCII OpenSSL wrote from the DER: no outside text in it. */
		BIO *b = BIO_new(BIO_s_mem());
		char *pem = NULL;
		long pl;
		if (b != NULL && PEM_write_bio_X509(b, sk_X509_value(sk, i)) == 1 &&
		    (pl = BIO_get_mem_data(b, &pem)) > 0)
			json_object_set_new(cert, "pem", json_stringn(pem, (size_t)pl));
		BIO_free(b);
		json_array_append_new(chain, cert);
	}
	json_object_set_new(o, "chain", chain);
	return o;
}
