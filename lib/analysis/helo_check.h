/*
 * helo_check.h - what the sending client said it is, against the DNS:
 * the HELO/EHLO name (RFC 5321 4.1.4: the client's fully qualified name,
 * or an address literal) and the client's reverse DNS.
 *
 * Receivers weigh both: a HELO that is no FQDN (RFC 5321 4.1.1.1), does
 * not resolve, or names another host, and an address without a
 * forward-confirmed PTR (FCrDNS) count against the mail. The FCrDNS
 * verdict is the MTA's ({client_name} is "unknown" unless the PTR name
 * resolves back to the address; {client_ptr} is the PTR name); the HELO
 * name is looked up here, through mxray's resolver, A and AAAA, at most
 * HELO_MAX_ADDRS addresses kept.
 */
#ifndef MXRAY_ANALYSIS_HELO_CHECK_H
#define MXRAY_ANALYSIS_HELO_CHECK_H

#include <jansson.h>
#include "analysis/analysis_dns.h"
#include "base/netaddr.h"

#define HELO_MAX_ADDRS 8

/* helo_check - {"helo", "fqdn", "address_literal", "resolves",
 * "addresses", "matches_client", "fcrdns", "ptr", "not_checked"} with
 * findings; null facts where nothing could be said (no HELO, no client
 * address, DNS failure). client_name and client_ptr are the MTA's
 * ({client_name}, {client_ptr}); NULL when unknown. A client that is not
 * a public address (a local submission, a test network outside allow,
 * which may be NULL) gets only the FQDN check: no DNS lookup (a stalled
 * one would hold the message) and no reverse-DNS verdict. Never NULL. */
json_t *helo_check(const analysis_dns_t *dns, const char *helo, const char *client_ip,
		   const char *client_name, const char *client_ptr, const netrange_list_t *allow);

#endif
