/*
 * share.h - the Redis store the probe shares state through with other
 * mxray processes: connection slots per MX address (conn_limit.h) and
 * recent address results (addr_cache.h).
 *
 * The worker turns sharing on at start-up with its configuration; this
 * module then owns one Redis connection of its own, made when first
 * needed and made again (at most once a second) after Redis went away.
 * mxray check has no Redis and shares nothing. One hiredis connection is
 * not thread-safe, and the worker's jobs and the TLS scan run in threads,
 * so every use is between probe_share_begin and probe_share_end, which
 * hold a lock.
 */
#ifndef MXRAY_PROBE_SHARE_H
#define MXRAY_PROBE_SHARE_H

#include "mail/config.h"
#include "mail/store.h"

/* probe_share - share through the Redis of cfg from now on (NULL: stop
 * sharing and close the connection). cfg must outlive every probe. */
void probe_share(const mxray_config_t *cfg);
/* probe_share_begin - the shared store, locked; NULL (and not locked)
 * when nothing is shared. */
store_t *probe_share_begin(void);
/* probe_share_end - unlock after a probe_share_begin that returned a store. */
void probe_share_end(void);
/* probe_share_complain - log a failure of the shared store, at most once a
 * minute (a Redis hiccup must not flood the log; the probe goes on with
 * what it has in memory). Call between begin and end. */
void probe_share_complain(store_t *st, const char *what);

#endif
