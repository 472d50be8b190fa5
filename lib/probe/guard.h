/*
 * guard.h - the abuse guard: may mxray connect to this exact address?
 *
 * DESIGN.md hard rule 4: probe targets are public unicast addresses unless
 * [probe] allow_networks includes them. The check takes the exact address
 * about to be connected to, never a name. smtp_client_open calls it, so no
 * code path connects around it; the probe calls it first to report the
 * refusal as "not_tested".
 */
#ifndef MXRAY_PROBE_GUARD_H
#define MXRAY_PROBE_GUARD_H

#include <stddef.h>
#include "base/netaddr.h"

/* probe_guard_refuse - 1 and the reason in buf if addr may not be probed;
 * 0 if it may. allow may be NULL (nothing non-public allowed). */
int probe_guard_refuse(const netrange_list_t *allow, const netaddr_t *addr, char *buf,
		       size_t len);

#endif
