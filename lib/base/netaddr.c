/*
 * netaddr.c - addresses, CIDR ranges and the public-unicast test.
 *
 * The special-range table follows the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries (RFC 6890 and successors): every range there that is
 * not globally reachable unicast is refused as a probe target.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/netaddr.h"

int netaddr_parse(const char *text, netaddr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return -1;
	if (inet_pton(AF_INET, text, out->bytes) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->bytes) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -1;
}

void netaddr_format(const netaddr_t *a, char *buf, size_t len)
{
	if (inet_ntop(a->family, a->bytes, buf, (socklen_t)len) == NULL && len > 0)
		snprintf(buf, len, "?");
}

socklen_t netaddr_to_sockaddr(const netaddr_t *a, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)port);
		memcpy(&sin->sin_addr, a->bytes, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short)port);
	memcpy(&sin6->sin6_addr, a->bytes, 16);
	return sizeof(*sin6);
}

int netaddr_from_sockaddr(const struct sockaddr *sa, netaddr_t *out)
{
	memset(out, 0, sizeof(*out));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		out->family = AF_INET6;
		memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

int netrange_parse(const char *text, netrange_t *out)
{
	char addr[NETADDR_STRLEN + 8];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, text, n);
	addr[n] = '\0';
	if (netaddr_parse(addr, &out->base) != 0)
		return -1;
	int max = out->base.family == AF_INET ? 32 : 128;
	if (slash == NULL) {
		out->prefix = max;
		return 0;
	}
	char *end;
	long p = strtol(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || p < 0 || p > max)
		return -1;
	out->prefix = (int)p;
	return 0;
}

int netrange_contains(const netrange_t *r, const netaddr_t *a)
{
	if (r->base.family != a->family)
		return 0;
	int full = r->prefix / 8, rest = r->prefix % 8;
	if (memcmp(r->base.bytes, a->bytes, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (r->base.bytes[full] & mask) == (a->bytes[full] & mask);
}

int netrange_list_parse(const char *text, netrange_list_t *out, char *err, size_t errlen)
{
	out->items = NULL;
	out->count = 0;
	char *copy = strdup(text ? text : "");
	if (copy == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char *save = NULL;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		netrange_t r;
		if (netrange_parse(tok, &r) != 0) {
			snprintf(err, errlen, "\"%s\" is not an address or CIDR range", tok);
			free(copy);
			netrange_list_free(out);
			return -1;
		}
		netrange_t *grown = realloc(out->items, (out->count + 1) * sizeof(*grown));
		if (grown == NULL) {
			snprintf(err, errlen, "out of memory");
			free(copy);
			netrange_list_free(out);
			return -1;
		}
		out->items = grown;
		out->items[out->count++] = r;
	}
	free(copy);
	return 0;
}

int netrange_list_contains(const netrange_list_t *l, const netaddr_t *a)
{
	for (size_t i = 0; i < l->count; i++)
		if (netrange_contains(&l->items[i], a))
			return 1;
	return 0;
}

void netrange_list_free(netrange_list_t *l)
{
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* The ranges that are not public unicast, each with the reason shown. */
static const struct {
	const char *cidr;
	const char *reason;
} special_ranges[] = {
	{ "0.0.0.0/8", "in \"this network\" (RFC 791)" },
	{ "10.0.0.0/8", "private (RFC 1918)" },
	{ "100.64.0.0/10", "shared carrier-grade NAT space (RFC 6598)" },
	{ "127.0.0.0/8", "loopback (RFC 1122)" },
	{ "169.254.0.0/16", "link-local (RFC 3927)" },
	{ "172.16.0.0/12", "private (RFC 1918)" },
	{ "192.0.0.0/24", "IETF protocol assignments (RFC 6890)" },
	{ "192.0.2.0/24", "documentation (RFC 5737)" },
	{ "192.88.99.0/24", "6to4 relay anycast (RFC 7526)" },
	{ "192.168.0.0/16", "private (RFC 1918)" },
	{ "198.18.0.0/15", "benchmarking (RFC 2544)" },
	{ "198.51.100.0/24", "documentation (RFC 5737)" },
	{ "203.0.113.0/24", "documentation (RFC 5737)" },
	{ "224.0.0.0/4", "multicast (RFC 5771)" },
	{ "240.0.0.0/4", "reserved (RFC 1112)" },
	{ "::/128", "the unspecified address (RFC 4291)" },
	{ "::1/128", "loopback (RFC 4291)" },
	{ "::ffff:0:0/96", "an IPv4-mapped address (RFC 4291)" },
	{ "64:ff9b::/96", "a NAT64 address (RFC 6052)" },
	{ "64:ff9b:1::/48", "a local-use NAT64 address (RFC 8215)" },
	{ "100::/64", "discard-only (RFC 6666)" },
	{ "2001::/23", "IETF protocol assignments (RFC 2928)" },
	{ "2001:db8::/32", "documentation (RFC 3849)" },
	{ "2002::/16", "6to4 (RFC 3056)" },
	{ "3fff::/20", "documentation (RFC 9637)" },
	{ "fc00::/7", "unique local (RFC 4193)" },
	{ "fe80::/10", "link-local (RFC 4291)" },
	{ "ff00::/8", "multicast (RFC 4291)" },
	{ "::/96", "an IPv4-compatible address (deprecated, RFC 4291)" },
};

/* The IPv6 space outside 2000::/3, as ranges, for netaddr_special_range. */
static const char *const outside_global_v6[] = { "::/3", "4000::/2", "8000::/1" };

int netaddr_special_range(size_t i, netrange_t *out, const char **reason)
{
	size_t n = sizeof(special_ranges) / sizeof(special_ranges[0]);
	const char *cidr, *why;
	if (i < n) {
		cidr = special_ranges[i].cidr;
		why = special_ranges[i].reason;
	} else if (i - n < sizeof(outside_global_v6) / sizeof(outside_global_v6[0])) {
		cidr = outside_global_v6[i - n];
		why = "outside global unicast space 2000::/3 (RFC 4291)";
	} else {
		return -1;
	}
	if (netrange_parse(cidr, out) != 0)
		return -1;
	if (reason)
		*reason = why;
	return 0;
}

const char *netaddr_special_reason(const netaddr_t *a)
{
	for (size_t i = 0; i < sizeof(special_ranges) / sizeof(special_ranges[0]); i++) {
		netrange_t r;
		if (netrange_parse(special_ranges[i].cidr, &r) != 0)
			continue;
		if (netrange_contains(&r, a))
			return special_ranges[i].reason;
	}
	/* Only 2000::/3 is global unicast in IPv6 today. */
	if (a->family == AF_INET6 && (a->bytes[0] & 0xe0) != 0x20)
		return "outside global unicast space 2000::/3 (RFC 4291)";
	return NULL;
}
