/*
 * ptr.h - reverse DNS of a probed address and its forward confirmation
 * (FCrDNS): the PTR names of the address, and whether one of them
 * resolves back to the same address.
 *
 * Trusts the resolver's DNSSEC verdict, not the rdata: names are decoded
 * by dns_name_from_wire, bounded (PTR_NAMES_MAX) and made printable.
 */
#ifndef MXRAY_PROBE_PTR_H
#define MXRAY_PROBE_PTR_H

#include <stddef.h>
#include <jansson.h>
#include "base/netaddr.h"
#include "mail/resolver.h"

#define PTR_NAMES_MAX 4

/* ptr_reverse_name - "4.3.2.1.in-addr.arpa" or the ip6.arpa nibble name. */
void ptr_reverse_name(const netaddr_t *a, char *out, size_t outlen);
/* ptr_check - the "ptr" object (new reference) of address a of MX host,
 * with findings. */
json_t *ptr_check(resolver_t *r, const netaddr_t *a, const char *host);

#endif
