/*
 * reply_dkim.c - DKIM signature of the reply mail (see reply_dkim.h).
 *
 * Trusts the config (key file, selector, domain) and the message, which
 * reply_compose built from checked parts: plain header lines, no folding.
 * Signs relaxed/relaxed with rsa-sha256, or ed25519-sha256 for an Ed25519
 * key (RFC 6376, RFC 8463); libopendkim picks the usual header set (From,
 * To, Subject, Date, Message-ID, In-Reply-To, References, MIME headers).
 * The key is read on every call (replies are few) and must be readable by
 * the user the reporter runs as. Limit: keys up to DKIM_KEY_MAX bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "report/reply_dkim.h"

#define DKIM_KEY_MAX 16384

/* read_key - the key file's text into a new NUL-terminated buffer. */
static char *read_key(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "[mail] dkim_key %s cannot be read", path);
		return NULL;
	}
	char *buf = malloc(DKIM_KEY_MAX + 1);
	size_t n = buf ? fread(buf, 1, DKIM_KEY_MAX + 1, f) : 0;
	fclose(f);
	if (buf == NULL || n == 0 || n > DKIM_KEY_MAX) {
		snprintf(err, errlen, "[mail] dkim_key %s is empty or larger than %d bytes", path,
			 DKIM_KEY_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* key_alg - the signing algorithm for a PEM key, or -1 if it is none we use. */
static int key_alg(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	int alg = -1;
	if (k != NULL && EVP_PKEY_base_id(k) == EVP_PKEY_RSA)
		alg = DKIM_SIGN_RSASHA256;
	else if (k != NULL && EVP_PKEY_base_id(k) == EVP_PKEY_ED25519)
		alg = DKIM_SIGN_ED25519SHA256;
	EVP_PKEY_free(k);
	BIO_free(bio);
	return alg;
}

int reply_dkim_sign(const mxray_config_t *cfg, const char *from_domain, strbuf_t *msg,
		    char *err, size_t errlen)
{
	const char *domain = cfg->mail_dkim_domain && cfg->mail_dkim_domain[0]
		? cfg->mail_dkim_domain : from_domain;
	if (cfg->mail_dkim_selector == NULL || cfg->mail_dkim_selector[0] == '\0') {
		snprintf(err, errlen, "[mail] dkim_key is set but dkim_selector is empty");
		return -1;
	}
	char *key = read_key(cfg->mail_dkim_key, err, errlen);
	if (key == NULL)
		return -1;
	int alg = key_alg(key);
	if (alg < 0) {
		snprintf(err, errlen, "[mail] dkim_key %s is not a PEM RSA or Ed25519 private key",
			 cfg->mail_dkim_key);
		free(key);
		return -1;
	}

	int rc = -1;
	DKIM_STAT st = DKIM_STAT_OK;
	DKIM *d = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	const char *body = strstr(msg->data ? msg->data : "", "\r\n\r\n");
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	if (lib == NULL || body == NULL) {
		snprintf(err, errlen, "DKIM: %s", lib ? "message has no body" : "dkim_init failed");
		goto out;
	}
	d = dkim_sign(lib, (const unsigned char *)"mxray-reply", NULL, (dkim_sigkey_t)key,
		      (const unsigned char *)cfg->mail_dkim_selector, (const unsigned char *)domain,
		      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, (dkim_alg_t)alg, -1, &st);
	if (d == NULL) {
		snprintf(err, errlen, "DKIM: dkim_sign: %s", dkim_getresultstr(st));
		goto out;
	}
	/* Header lines, one by one without their CRLF (ours are never folded). */
	for (const char *p = msg->data; p < body + 2;) {
		const char *eol = strstr(p, "\r\n");
		st = dkim_header(d, (unsigned char *)p, (size_t)(eol - p));
		if (st != DKIM_STAT_OK)
			break;
		p = eol + 2;
	}
	if (st == DKIM_STAT_OK)
		st = dkim_eoh(d);
	if (st == DKIM_STAT_OK)
		st = dkim_body(d, (unsigned char *)body + 4,
			       msg->len - (size_t)(body + 4 - msg->data));
	if (st == DKIM_STAT_OK)
		st = dkim_eom(d, NULL);
	if (st == DKIM_STAT_OK)
		st = dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER ": "), &sig, &siglen);
	if (st != DKIM_STAT_OK) {
		snprintf(err, errlen, "DKIM: signing failed: %s (%s)", dkim_getresultstr(st),
			 dkim_geterror(d) ? dkim_geterror(d) : "no detail");
		goto out;
	}
	/* libopendkim folds with bare LF; the message is CRLF throughout. */
	strbuf_t signed_msg = STRBUF_INIT;
	strbuf_puts(&signed_msg, DKIM_SIGNHEADER ": ");
	for (size_t i = 0; i < siglen; i++) {
		if (sig[i] == '\n' && (i == 0 || sig[i - 1] != '\r'))
			strbuf_puts(&signed_msg, "\r");
		strbuf_append(&signed_msg, (const char *)sig + i, 1);
	}
	strbuf_puts(&signed_msg, "\r\n");
	strbuf_append(&signed_msg, msg->data, msg->len);
	strbuf_free(msg);
	*msg = signed_msg;
	rc = 0;
out:
	if (d != NULL)
		dkim_free(d);
	if (lib != NULL)
		dkim_close(lib);
	free(key);
	return rc;
}
