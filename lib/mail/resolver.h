/*
 * resolver.h - the one DNS resolver of mxray (libunbound, DNSSEC-validating).
 *
 * Every DNS question mxray asks goes through here: MX and address lookups
 * of the probe, DKIM keys, SPF, DMARC. Nothing reads /etc/resolv.conf:
 * [dns] resolver = recursive resolves from the configured root hints and
 * trust anchor (the sandbox points both at its own signed root);
 * forward:IP[@PORT] asks a validating recursive server and still validates.
 * One resolver_t may be used by many threads at once.
 *
 * Hostile DNS: name servers at addresses that are not public unicast
 * (netaddr_special_range) are never queried unless [probe] allow_networks
 * allows them (or they are the forward: server), so a domain's NS records
 * cannot point the worker or the milter at 127.0.0.1 or 10.x. Every lookup
 * ends within [dns] timeout, and a job's view (resolver_for_job) also at
 * the job's deadline: an unanswered lookup comes back as SERVFAIL with
 * timed_out set, never as a hang.
 */
#ifndef MXRAY_MAIL_RESOLVER_H
#define MXRAY_MAIL_RESOLVER_H

#include <stddef.h>
#include "mail/config.h"

typedef enum dnssec_status {
	DNSSEC_INSECURE = 0,	/* no chain of trust: unsigned or not validated */
	DNSSEC_SECURE,		/* validated */
	DNSSEC_BOGUS,		/* validation failed: treat the data as absent */
} dnssec_status_t;

typedef enum dns_outcome {
	DNS_OK = 0,		/* answer with data */
	DNS_NODATA,		/* name exists, no record of this type */
	DNS_NXDOMAIN,		/* name does not exist */
	DNS_SERVFAIL,		/* lookup failed (incl. bogus): temporary */
} dns_outcome_t;

/* One record of an answer: the rdata as on the wire, borrowed from the answer. */
typedef struct dns_rdata {
	const unsigned char *data;
	size_t len;
} dns_rdata_t;

typedef struct dns_answer {
	dns_outcome_t outcome;
	dnssec_status_t dnssec;
	int rcode;
	char *why_bogus;		/* validator's reason when BOGUS, else NULL */
	int timed_out;			/* SERVFAIL because no answer came in time */
	char *why_failed;		/* "DNS timed out ..." when timed_out, else NULL */
	char *canonname;		/* after CNAMEs, or NULL */
	size_t count;
	dns_rdata_t *rdata;		/* count items */
	const unsigned char *packet;	/* the whole reply in wire format */
	size_t packet_len;
	void *impl;			/* the libunbound result */
} dns_answer_t;

typedef struct resolver resolver_t;

resolver_t *resolver_new(const mxray_config_t *cfg, char *err, size_t errlen);
/* resolver_for_job - a view of r whose lookups also end at deadline_ms
 * (clock_ms() time), e.g. a probe's job deadline; it shares r's cache and
 * threads. NULL when out of memory. Free it with resolver_free before r. */
resolver_t *resolver_for_job(resolver_t *r, long long deadline_ms);
void resolver_free(resolver_t *r);
/* resolver_query - ask name/type (class IN); 0 with *out filled, -1 with err
 * only when the resolver itself failed (not for NXDOMAIN, SERVFAIL or a
 * timeout, which is a SERVFAIL with timed_out set). */
int resolver_query(resolver_t *r, const char *name, int rrtype, dns_answer_t **out,
		   char *err, size_t errlen);
void dns_answer_free(dns_answer_t *a);

const char *dnssec_status_name(dnssec_status_t s);	/* "secure" ... */
const char *dns_outcome_name(dns_outcome_t o);		/* "ok" "nodata" ... */
/* dns_name_from_wire - decode an uncompressed name at data (rdata of MX,
 * CNAME, PTR, NS): writes a dotted name without the final dot; returns the
 * bytes consumed, or -1 if malformed. */
int dns_name_from_wire(const unsigned char *data, size_t len, char *out, size_t outlen);

#endif
