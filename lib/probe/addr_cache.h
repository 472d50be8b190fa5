/*
 * addr_cache.h - reuse of an address's probe result across jobs for a
 * short while ([probe] reuse_results), so that repeated tests of one
 * domain, or of domains sharing an MX, do not hammer a server (issue 4,
 * DESIGN.md hard rule 2).
 *
 * In memory, a process's jobs share it; when the probe shares a Redis
 * store (share.h: the workers do), every worker on that Redis reuses what
 * any of them found (ages by the wall clock); `mxray check` keeps its own.
 * Keyed by MX host name, address and port (the result depends on the
 * name: SNI, name match). Bounded
 * (ADDR_CACHE_MAX entries, the oldest evicted first); guarded by a mutex.
 * Results cut short by mxray's own limits ("mxray_limit": the job
 * deadline, busy connection slots) are not kept. A reused object
 * carries "reused_age_ms", how old the result is; a fresh one has it null.
 */
#ifndef MXRAY_PROBE_ADDR_CACHE_H
#define MXRAY_PROBE_ADDR_CACHE_H

#include <jansson.h>
#include "base/netaddr.h"
#include "mail/config.h"

#define ADDR_CACHE_MAX 512

/* addr_cache_get - a copy of a result younger than cfg->reuse_results_ms
 * (new reference), or NULL. */
json_t *addr_cache_get(const mxray_config_t *cfg, const char *host, const netaddr_t *addr);
/* addr_cache_put - keep a copy of a fresh result (sets its "reused_age_ms"
 * to null); does nothing for a reused one or when reuse is off. */
void addr_cache_put(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
		    json_t *result);
/* addr_cache_clear - forget everything (tests). */
void addr_cache_clear(void);

#endif
