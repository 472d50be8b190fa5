/*
 * rate_limit.h - what the milter counts per test mail (DESIGN rule 4):
 * the envelope sender, its domain, and the client's network (/24 for
 * IPv4, /48 for IPv6), each against [milter] rate_per_sender,
 * rate_per_domain and rate_per_network within [milter] rate_window.
 * This file names the counters; the milter keeps them in Redis (one
 * key each, <prefix>rate:<kind>:<value>, expiring with the window).
 */
#ifndef MXRAY_ANALYSIS_RATE_LIMIT_H
#define MXRAY_ANALYSIS_RATE_LIMIT_H

#include <stddef.h>

#define RATE_KEYS 3
#define RATE_VALUE_MAX 300

typedef struct rate_key {
	const char *kind;		/* "sender", "domain", "network" */
	char value[RATE_VALUE_MAX];	/* lowercase address, domain, or CIDR */
} rate_key_t;

/* rate_keys - the counters a mail from client_ip (may be NULL or "")
 * with envelope sender (NULL or "" for the null sender) counts against;
 * returns how many were filled (0..RATE_KEYS). */
size_t rate_keys(const char *client_ip, const char *sender, rate_key_t out[RATE_KEYS]);

#endif
