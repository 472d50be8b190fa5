/*
 * dane.h - DANE for SMTP (RFC 7672): TLSA records of an MX host, and
 * whether the certificates each address presented match them.
 *
 * Only a DNSSEC-secure TLSA RRset counts (RFC 7672 2.2); an insecure one
 * is ignored by senders, a bogus one makes them defer mail. SMTP uses
 * DANE-TA(2) and DANE-EE(3) only; PKIX-TA(0) and PKIX-EE(1) records are
 * unusable (RFC 7672 3.1.3). Matching is done against the hashes of the
 * chain as sent, recorded by tls_probe (cert/spki, SHA-256/512); full
 * matching type 0 is reported as not checked.
 */
#ifndef MXRAY_PROBE_DANE_H
#define MXRAY_PROBE_DANE_H

#include <jansson.h>
#include "mail/config.h"
#include "mail/resolver.h"

/* dane_check_mx - look up _PORT._tcp.<host> TLSA for one MX host object
 * of the report (with its probed "addresses"), add "dane" to the host and
 * to every address with a TLS chain. */
void dane_check_mx(const mxray_config_t *cfg, resolver_t *r, json_t *mx_host);

#endif
