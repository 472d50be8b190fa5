/*
 * clienthello.h - hand-built ClientHello messages and a strict reader of
 * what a server answers to them, for the TLS scan (tls_scan.h).
 *
 * Why by hand: Debian's OpenSSL 3 cannot even offer SSLv2, SSLv3, RC4,
 * 3DES, EXPORT or IDEA suites, so a scanner that asks OpenSSL misses the
 * dangerous ones. Like testssl.sh's socket mode we write the hello bytes
 * ourselves and read the ServerHello; no key exchange is ever completed
 * (a TLS 1.3 key share is 32 random bytes of x25519).
 *
 * Builds: the SSLv2-compatible hello (SSL 2.0 CLIENT-HELLO), SSLv3 and
 * TLS 1.0-1.2 hellos with a suite list and the usual extensions (SNI,
 * supported_groups, ec_point_formats, signature_algorithms from TLS 1.2,
 * renegotiation_info, extended_master_secret, session_ticket, heartbeat),
 * TLS 1.3 hellos (supported_versions, key_share), and the padding
 * extension that lifts hellos of 256-511 bytes to 512 (some servers hang
 * on those sizes).
 *
 * Reads: TLS records (fragmented handshake messages reassembled, at most
 * CH_REPLY_MAX bytes in all), alerts, the ServerHello and HelloRetryRequest
 * with their extensions, the downgrade sentinel, optionally the
 * ServerKeyExchange (ECDHE group, DHE prime size), and the SSL 2.0
 * SERVER-HELLO. Trusts nothing: every length is checked against what is
 * there; anything inconsistent is CH_MALFORMED with a reason, never a
 * read past the buffer.
 */
#ifndef MXRAY_PROBE_CLIENTHELLO_H
#define MXRAY_PROBE_CLIENTHELLO_H

#include <stddef.h>
#include <stdint.h>

#define CH_SSL2 0x0002
#define CH_SSL3 0x0300
#define CH_TLS10 0x0301
#define CH_TLS11 0x0302
#define CH_TLS12 0x0303
#define CH_TLS13 0x0304

#define CH_MAX_SUITES 128	/* some servers reject longer lists */
#define CH_MAX_GROUPS 32
#define CH_HELLO_MAX 4096	/* room for any hello we build */
#define CH_REPLY_MAX 65536	/* we never read more than this of a reply */

/* What to put into one ClientHello. */
typedef struct ch_params {
	int version;			/* CH_SSL2 .. CH_TLS13 */
	const uint32_t *suites;		/* 2-byte codes (3-byte for SSLv2) */
	size_t nsuites;			/* 1 .. CH_MAX_SUITES */
	const uint16_t *groups;		/* supported_groups; NULL = a default list */
	size_t ngroups;
	const char *sni;		/* server_name, or NULL */
	int key_share_x25519;		/* TLS 1.3: send an x25519 share (else none) */
} ch_params_t;

typedef enum ch_outcome {
	CH_NONE = 0,		/* not complete yet */
	CH_SERVER_HELLO,	/* a ServerHello (or HelloRetryRequest) was read */
	CH_ALERT,		/* the server answered with an alert */
	CH_SSL2_ERROR,		/* an SSL 2.0 ERROR message */
	CH_EOF,			/* the server closed without a complete answer */
	CH_TIMEOUT,		/* no complete answer before the deadline */
	CH_MALFORMED,		/* an answer we could not parse: see why */
	CH_IO,			/* a socket error */
} ch_outcome_t;

const char *ch_outcome_name(ch_outcome_t o);

/* What the server answered. */
typedef struct ch_reply {
	ch_outcome_t outcome;
	int version;		/* negotiated (supported_versions when present) */
	int record_version;	/* ServerHello's legacy version field */
	uint32_t suite;		/* the chosen suite */
	int compression;	/* compression method chosen (0 = none) */
	int hrr;		/* it was a HelloRetryRequest */
	int alert_level, alert_desc;
	int reneg_info;		/* renegotiation_info echoed (RFC 5746) */
	int ems;		/* extended_master_secret echoed (RFC 7627) */
	int ticket;		/* session_ticket echoed */
	int heartbeat;		/* heartbeat extension echoed */
	int downgrade;		/* sentinel: 12 = "DOWNGRD\1", 11 = "DOWNGRD\0", 0 */
	int group;		/* key_share / HRR group, or ServerKeyExchange curve; -1 */
	int dh_bits;		/* DHE prime size from ServerKeyExchange; 0 */
	uint8_t dh_prime_sha256[32];	/* of that prime (dh_primes.h), when dh_bits */
	int ske_seen;		/* a ServerKeyExchange was parsed */
	uint32_t ssl2_suites[16];	/* SSL 2.0: the suites the server has */
	size_t ssl2_nsuites;
	char why[160];		/* for CH_MALFORMED / CH_IO */
} ch_reply_t;

/* ch_build - write the hello for p into out (cap bytes, CH_HELLO_MAX is
 * enough); its length, or -1 when p is invalid (no suites, too many). */
long ch_build(const ch_params_t *p, uint8_t *out, size_t cap);

/* ch_parse - look at the len bytes a server sent so far in answer to a
 * hello of version sent_version. Returns 1 when r is complete (any
 * outcome), 0 when more bytes are needed. With want_ske, a TLS <= 1.2
 * ServerHello is complete only after the ServerKeyExchange or
 * ServerHelloDone (or CH_REPLY_MAX). Never reads outside buf. */
int ch_parse(const uint8_t *buf, size_t len, int sent_version, int want_ske, ch_reply_t *r);

/* ch_exchange - write the hello on the connected, non-blocking socket fd
 * and read the answer until complete, EOF or deadline_ms (clock_ms()). */
void ch_exchange(int fd, const uint8_t *hello, size_t hello_len, int sent_version,
		 int want_ske, long long deadline_ms, ch_reply_t *r);

/* ch_heartbleed - the safe Heartbleed probe on a fresh connection: send
 * hello (a TLS <= 1.2 hello of version whose ServerHello echoed the
 * heartbeat extension), read the first flight to ServerHelloDone, send a
 * heartbeat request that claims 16 payload bytes and carries none, and
 * wait up to wait_ms for the answer. 1 = the server answered it
 * (vulnerable: it sent memory, which is wiped unread), 0 = it ignored or
 * refused it, -1 = not tested (why says so). */
int ch_heartbleed(int fd, const uint8_t *hello, size_t hello_len, int version,
		  long long deadline_ms, long long wait_ms, char *why, size_t whylen);

/* Names for reports: "TLSv1.2", "x25519", "handshake_failure". */
const char *ch_version_name(int version);
const char *ch_group_name(int group);
const char *ch_alert_name(int desc);

#endif
