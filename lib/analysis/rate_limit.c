/*
 * rate_limit.c - the counters of a test mail (see rate_limit.h). Pure:
 * no I/O; values are bounded and lowercase so one sender cannot dodge its
 * counter by changing case.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/address.h"
#include "analysis/rate_limit.h"
#include "base/netaddr.h"

/* network_of - "198.51.100.0/24" or "2001:db8:1::/48" for ip; -1 if none. */
static int network_of(const char *ip, char *out, size_t len)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	if (inet_pton(AF_INET, ip, a) == 1) {
		a[3] = 0;
		inet_ntop(AF_INET, a, text, sizeof(text));
		snprintf(out, len, "%s/24", text);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) == 1) {
		memset(a + 6, 0, 10);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(out, len, "%s/48", text);
		return 0;
	}
	return -1;
}

size_t rate_keys(const char *client_ip, const char *sender, rate_key_t out[RATE_KEYS])
{
	size_t n = 0;
	if (sender && sender[0] && strlen(sender) < RATE_VALUE_MAX) {
		out[n].kind = "sender";
		snprintf(out[n].value, RATE_VALUE_MAX, "%s", sender);
		for (char *p = out[n].value; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		n++;
		char *d = address_domain(sender);
		if (d && strlen(d) < RATE_VALUE_MAX) {
			out[n].kind = "domain";
			snprintf(out[n].value, RATE_VALUE_MAX, "%s", d);
			n++;
		}
		free(d);
	}
	if (client_ip && client_ip[0] && network_of(client_ip, out[n].value, RATE_VALUE_MAX) == 0) {
		out[n].kind = "network";
		n++;
	}
	return n;
}
