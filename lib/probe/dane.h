/*
 * dane.h - DANE for SMTP (RFC 7672): TLSA records of an MX host, and
 * whether the certificates each address presented match them.
 *
 * Only a DNSSEC-secure TLSA RRset counts (RFC 7672 2.2); an insecure one
 * is ignored by senders, a bogus one makes them defer mail. And senders
 * look up TLSA only for an MX host they found through a secure MX RRset
 * (or the domain itself, when it has no MX, through secure address
 * records) and whose own address records are secure (RFC 7672 2.2.1,
 * 2.2.2): otherwise the records are reported but "applies" is false, each
 * address's state is "not_applicable" (with what the match would be), and
 * signed records published there are a critical finding. SMTP uses
 * DANE-TA(2) and DANE-EE(3) only; PKIX-TA(0) and PKIX-EE(1) records are
 * unusable (RFC 7672 3.1.3). Each address's chain as sent (the "pem" of
 * every certificate tls_probe recorded) is verified offline with
 * OpenSSL's DANE API (SSL_dane_enable, SSL_dane_tlsa_add,
 * X509_STORE_CTX_set0_dane, SSL_get0_dane_tlsa) against an empty trust
 * store: a DANE-TA(2) key must be in the chain as sent (RFC 7672 3.1.2),
 * DANE-TA matches need the MX host name in the certificate, DANE-EE(3)
 * matches need no name and no validity check (RFC 7672 3.1.1).
 * Malformed rdata (too short, a hash of the wrong length) is a problem
 * quoted in hex, never matched.
 */
#ifndef MXRAY_PROBE_DANE_H
#define MXRAY_PROBE_DANE_H

#include <stddef.h>
#include <jansson.h>
#include "mail/config.h"
#include "mail/resolver.h"

/* The most association data one TLSA record can carry: a DNS rdata is at
 * most 65535 bytes, 3 of them usage, selector and matching type. A 3 0 0
 * record holds a whole certificate, often more than 2 KB. */
#define DANE_TLSA_DATA_MAX (65535 - 3)

/* One usable TLSA record, as handed to OpenSSL. */
typedef struct dane_tlsa {
	int index;		/* in the report's "records" */
	unsigned char usage, selector, mtype;
	const unsigned char *data;	/* borrowed: inside the rdata given to dane_tlsa_parse */
	size_t len;
} dane_tlsa_t;

/* dane_tlsa_parse - one TLSA rdata (RFC 6698 2.1: usage, selector,
 * matching type, association data) of outside origin, n bytes, as its
 * entry of the report's "records" (new reference). NULL when it is not a
 * valid record: shorter than 4 bytes, more data than DANE_TLSA_DATA_MAX,
 * or a SHA-256/SHA-512 hash of the wrong length; then problem (always
 * NUL-terminated) says so with the first bytes in hex, for record
 * number ordinal (1-based). When out is not NULL and the record is usable
 * for SMTP (DANE-TA or DANE-EE, known selector and matching type), *out
 * is filled (index left to the caller; out->data points into p, so p must
 * outlive it) and *usable is 1, else 0. */
json_t *dane_tlsa_parse(const unsigned char *p, size_t n, size_t ordinal, dane_tlsa_t *out,
			int *usable, char *problem, size_t problemlen);

/* dane_check_mx - look up _PORT._tcp.<host> TLSA for one MX host object
 * of the report (with its probed "addresses" and "addresses_dnssec"), add
 * "dane" to the host and to every address with a TLS chain. mx_dns is the
 * report's dns.mx (its "dnssec" and "implicit"): whether senders reach
 * the TLSA records at all (RFC 7672 2.2) depends on it. */
void dane_check_mx(const mxray_config_t *cfg, resolver_t *r, json_t *mx_host, const json_t *mx_dns);

#endif
