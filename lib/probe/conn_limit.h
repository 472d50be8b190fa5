/*
 * conn_limit.h - at most [probe] connections_per_address connections at
 * once to one MX address (DESIGN.md hard rule 2: hold back).
 *
 * Every connection mxray makes to a probed server goes through
 * smtp_client_open, which takes a slot here first and gives it back on
 * close: the probe's own session, the sessions per key type and the TLS
 * scan's hellos alike. Within a process the slots are counted in memory;
 * when the probe shares a Redis store (share.h; the worker does),
 * every process on that Redis also counts against the same limit, so two
 * workers probing one MX for different domains still hold back together.
 * A slot held by a process that died is freed after the hold time (the
 * job deadline plus a margin). Waiting for a slot ends at the deadline.
 */
#ifndef MXRAY_PROBE_CONN_LIMIT_H
#define MXRAY_PROBE_CONN_LIMIT_H

#include <stddef.h>
#include "base/netaddr.h"

typedef struct conn_slot conn_slot_t;

/* conn_limit_take - wait until fewer than max connections to addr:port
 * are open (max <= 0: no limit) or deadline_ms (absolute clock_ms(); 0:
 * none) passes. 0 with *slot (give it back with conn_limit_give), -1 with
 * err when the deadline came first. hold_ms bounds how long a shared slot
 * counts if its holder never gives it back. */
int conn_limit_take(const netaddr_t *addr, int port, int max, long long hold_ms,
		    long long deadline_ms, conn_slot_t **slot, char *err, size_t errlen);
/* conn_limit_give - release a slot; NULL is fine. */
void conn_limit_give(conn_slot_t *slot);

#endif
