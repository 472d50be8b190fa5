/*
 * tls_scan_facts.h - what the TLS scan of one address found, as plain
 * data between the scan's engine (tls_scan.c, which sends the hellos) and
 * the result it becomes (tls_scan_result.c: the report's "tls_scan"
 * object and its findings). Internal to lib/probe.
 */
#ifndef MXRAY_PROBE_TLS_SCAN_FACTS_H
#define MXRAY_PROBE_TLS_SCAN_FACTS_H

#include <jansson.h>
#include <stdint.h>

#include "probe/clienthello.h"

#define TLS_SCAN_NPROTO 6	/* SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3 */
#define TLS_SCAN_MAX_SUITES 400	/* more than the table has for any version */
#define TLS_SCAN_MAX_GROUPS 64

/* One protocol version. */
typedef struct tls_scan_proto {
	int version;			/* CH_SSL2 .. CH_TLS13 */
	int supported;
	uint32_t suites[TLS_SCAN_MAX_SUITES];	/* accepted, in the order to report */
	size_t nsuites;
	int server_order;		/* 1 the server chooses, 0 the client, -1 unknown */
	ch_reply_t first;		/* the first ServerHello (its extensions) */
	int have_first;
} tls_scan_proto_t;

/* The whole scan. */
typedef struct tls_scan_facts {
	tls_scan_proto_t proto[TLS_SCAN_NPROTO];	/* by version, SSLv2 first */
	uint16_t groups[TLS_SCAN_MAX_GROUPS];		/* accepted, in the server's choice */
	size_t ngroups;
	int dh_bits;			/* DHE prime size, 0: no DHE */
	const char *dh_prime;		/* a published prime's name (static), or NULL */
	int fallback_scsv;		/* 1 refused a downgrade, 0 not, -1 n/a */
	int heartbleed;			/* 1 vulnerable, 0 not, -1 not tested */
	int handshakes, refused;	/* hellos sent, connections refused */
	long long duration_ms;
	json_t *errors;			/* borrowed: what kept the scan from finishing */
} tls_scan_facts_t;

/* tls_scan_result - the "tls_scan" object for f (new reference), with the
 * findings the facts call for, each about subject. */
json_t *tls_scan_result(const tls_scan_facts_t *f, const char *subject);

#endif
