/*
 * tls_probe.h - the TLS side of the probe: the client context, the session
 * set-up for STARTTLS, and the facts of a finished handshake.
 *
 * The client behaves like an opportunistic MTA that wants to *measure*:
 * it offers TLS 1.0 to 1.3 and every cipher OpenSSL has (security level
 * 0), so a legacy server is measured, not refused; and it completes the
 * handshake even when the certificate does not verify (SSL_VERIFY_NONE),
 * then reads the verification result so the report can say why a
 * certificate is untrusted. Trust comes only from [probe] ca_file.
 * The name check is separate: X509_check_host against the MX host name,
 * RFC 6125 wildcards (leftmost label only, no partial wildcards). Whether
 * the chain as sent is complete (leads to the store or a self-signed
 * certificate without an issuer the server failed to send) is verified
 * once more, offline, against the same store.
 * Certificate fields are hostile text: they enter the report only through
 * record_text.
 */
#ifndef MXRAY_PROBE_TLS_PROBE_H
#define MXRAY_PROBE_TLS_PROBE_H

#include <stddef.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* tls_probe_ctx_new - a client context trusting ca_file; NULL with err. */
SSL_CTX *tls_probe_ctx_new(const char *ca_file, char *err, size_t errlen);
/* tls_probe_ssl_new - a session for host (SNI = host); NULL with err. */
SSL *tls_probe_ssl_new(SSL_CTX *ctx, const char *host, char *err, size_t errlen);
/* tls_probe_describe - the report's "tls" object for a finished handshake
 * with host: version, cipher, group, verification, name match, chain. */
json_t *tls_probe_describe(SSL *ssl, const char *host);
/* tls_cert_describe - one certificate of a chain (report format). */
json_t *tls_cert_describe(X509 *x);
/* tls_key_type - "RSA", "ECDSA", "EdDSA" or "DSA" for a certificate's
 * key, NULL for none or another. */
const char *tls_key_type(X509 *x);
/* tls_version_name - "TLSv1.0" ... "TLSv1.3" for an SSL version number. */
const char *tls_version_name(int version);

#endif
