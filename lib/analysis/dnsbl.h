/*
 * dnsbl.h - the sending client's address against DNS blocklists (RFC 5782),
 * queried through mxray's resolver ([milter] dnsbl names the lists).
 *
 * An A answer in 127.0.0.0/8 means "listed" with the list's return codes,
 * and its TXT (the reason) is fetched; NXDOMAIN means "not listed".
 * Blocklists answer refused or over-quota queries with their own codes
 * (Spamhaus 127.255.255.252-255, others 127.0.0.1 to test resolvers):
 * 127.255.255.0/24 and 127.0.0.1 mean "not tested", never "listed"; so do
 * DNS failures and answers outside 127/8 (a wildcarding resolver).
 */
#ifndef MXRAY_ANALYSIS_DNSBL_H
#define MXRAY_ANALYSIS_DNSBL_H

#include <jansson.h>
#include "analysis/analysis_dns.h"
#include "base/netaddr.h"

#define DNSBL_MAX_LISTS 16

/* dnsbl_check - [{"zone","state" (listed|not_listed|not_tested),"codes",
 * "reason","why_not_tested"}] for client_ip against the space- or comma-
 * separated zones; findings for each listing. A new array, never NULL
 * (empty for no lists or no usable address). A client that is not a
 * public address (loopback, RFC 1918, ...; netaddr_special_reason) is on
 * no public list: each list is then "not_tested" without a query, unless
 * allow (the [probe] allow_networks of a test network; may be NULL)
 * contains it. */
json_t *dnsbl_check(const analysis_dns_t *dns, const char *client_ip, const char *zones,
		    const netrange_list_t *allow);

#endif
