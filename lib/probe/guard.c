/*
 * guard.c - the abuse guard (see guard.h).
 */
#include <stdio.h>

#include "probe/guard.h"

int probe_guard_refuse(const netrange_list_t *allow, const netaddr_t *addr, char *buf,
		       size_t len)
{
	const char *why = netaddr_special_reason(addr);
	char ip[NETADDR_STRLEN];

	if (why == NULL)
		return 0;
	if (allow != NULL && netrange_list_contains(allow, addr))
		return 0;
	netaddr_format(addr, ip, sizeof(ip));
	snprintf(buf, len, "address %s is %s; mxray probes only public addresses unless "
		 "[probe] allow_networks includes it", ip, why);
	return 1;
}
