/*
 * dh_primes.h - which published, widely shared DH prime a server's DHE
 * key exchange uses, if any.
 *
 * Logjam (CVE-2015-4000) showed that one precomputation per prime breaks
 * every 1024-bit DHE exchange with that prime, so a 1024-bit prime shared
 * by many servers is worse than a server's own. The primes known here are
 * the standardized ones everybody copies: RFC 2409 (768, 1024 bits),
 * RFC 3526 (1536-8192), RFC 5114 (1024, 2048) and RFC 7919's ffdhe groups
 * (2048-8192, which are fine at those sizes). They are taken from OpenSSL
 * at first use, not from a table in this tree; the server's prime is
 * compared by its SHA-256.
 */
#ifndef MXRAY_PROBE_DH_PRIMES_H
#define MXRAY_PROBE_DH_PRIMES_H

#include <stddef.h>
#include <stdint.h>

/* dh_prime_sha256 - SHA-256 of a big-endian prime, leading zero bytes
 * dropped (how the wire and OpenSSL may differ). */
void dh_prime_sha256(const uint8_t *p, size_t len, uint8_t out[32]);
/* dh_prime_name - the published name of the prime with that hash
 * ("RFC 2409 group 2 (1024 bits)", "ffdhe2048 (RFC 7919)"), or NULL for a
 * prime of the server's own. Thread-safe. */
const char *dh_prime_name(const uint8_t sha256[32]);

#endif
