/*
 * netaddr.h - IP addresses and CIDR ranges, and which addresses are public.
 *
 * netaddr_special_reason is the abuse guard's core: it names the range an
 * address belongs to when it is not public unicast (loopback, RFC 1918,
 * link-local, CGNAT, ULA, multicast, documentation, IPv4-mapped ...), or
 * returns NULL for a public unicast address. Probes check the exact address
 * they connect to, never a name.
 */
#ifndef MXRAY_BASE_NETADDR_H
#define MXRAY_BASE_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct netaddr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char bytes[16];	/* network order; 4 used for AF_INET */
} netaddr_t;

typedef struct netrange {
	netaddr_t base;
	int prefix;
} netrange_t;

#define NETADDR_STRLEN 46

int netaddr_parse(const char *text, netaddr_t *out);	/* 0 ok, -1 bad */
void netaddr_format(const netaddr_t *a, char *buf, size_t len);
/* netaddr_to_sockaddr - fill ss for a connect() to port; returns its length. */
socklen_t netaddr_to_sockaddr(const netaddr_t *a, int port, struct sockaddr_storage *ss);
int netaddr_from_sockaddr(const struct sockaddr *sa, netaddr_t *out);

/* netrange_parse - "192.0.2.0/24", "::1/128" or a bare address (full length). */
int netrange_parse(const char *text, netrange_t *out);
int netrange_contains(const netrange_t *r, const netaddr_t *a);

/* A list of ranges parsed from "a/n, b/m ..." (commas or spaces). */
typedef struct netrange_list {
	netrange_t *items;
	size_t count;
} netrange_list_t;
int netrange_list_parse(const char *text, netrange_list_t *out, char *err, size_t errlen);
int netrange_list_contains(const netrange_list_t *l, const netaddr_t *a);
void netrange_list_free(netrange_list_t *l);

/* netaddr_special_reason - NULL if public unicast, else a short reason. */
const char *netaddr_special_reason(const netaddr_t *a);
/* netaddr_special_range - the i-th range netaddr_special_reason refuses
 * (0, 1, ...): 0 with out (and reason) set, -1 past the last. Together they
 * cover every address that is not public unicast (the DNS resolver refuses
 * to query them). */
int netaddr_special_range(size_t i, netrange_t *out, const char **reason);

#endif
