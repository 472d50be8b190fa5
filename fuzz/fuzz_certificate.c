/*
 * fuzz_certificate.c - libFuzzer target: any bytes as a DER certificate a
 * server sent; whatever OpenSSL decodes is described for the report
 * (subject, issuer, names, dates, key, hashes), bounded and printable.
 */
#include <stdint.h>
#include <openssl/x509.h>

#include "probe/tls_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509 *x = d2i_X509(NULL, &p, (long)size);
	if (x == NULL)
		return 0;
	json_decref(tls_cert_describe(x));
	X509_free(x);
	return 0;
}
