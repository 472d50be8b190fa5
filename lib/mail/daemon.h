/*
 * daemon.h - what every mxray daemon does once it holds its sockets:
 * no core files, then root given up for the configured user.
 */
#ifndef MXRAY_MAIL_DAEMON_H
#define MXRAY_MAIL_DAEMON_H

#include <signal.h>
#include <stdio.h>
#include "mail/config.h"
#include "mail/store.h"

/* daemon_init - the start every daemon shares: parse "-c FILE", "-v" and
 * "--help", load the configuration (default: config_default_path()) and
 * set up logging as it says. Returns -1 when the daemon should go on, else
 * the exit status main should return (0 after --help, 2 on a usage error).
 * A configuration that cannot be loaded is fatal (log_fatal). */
int daemon_init(int argc, char **argv, const char *prog, void (*usage)(FILE *out),
		mxray_config_t *cfg);

/* Set by SIGTERM and SIGINT once daemon_handle_signals ran: finish the
 * work in hand and leave the main loop. */
extern volatile sig_atomic_t daemon_stopping;
/* daemon_handle_signals - SIGTERM/SIGINT set daemon_stopping (without
 * restarting system calls, so blocking waits return); SIGPIPE is ignored. */
void daemon_handle_signals(void);
/* daemon_sleep_ms - sleep up to ms, waking early when stopping. */
void daemon_sleep_ms(long long ms);

/* daemon_store_connect - connect to Redis; on failure log it, sleep with a
 * backoff that doubles up to 30 s (*backoff_ms keeps it between calls)
 * and return NULL so the caller's loop can check its stop flag first. */
store_t *daemon_store_connect(const mxray_config_t *cfg, long long *backoff_ms);
/* daemon_next_entry - the next entry this consumer should work on: one
 * that a dead consumer left pending longer than [redis] reclaim_idle, else
 * a new one (waiting up to block_ms). An entry already delivered more than
 * [redis] max_deliveries times is moved to the dead letters here instead.
 * 1 = entry in *e (clear it), 0 = nothing, -1 = Redis failed. */
int daemon_next_entry(store_t *s, const mxray_config_t *cfg, store_stream_t stream,
		      long long block_ms, store_entry_t *e);

/* daemon_drop_privileges_limited - limits (no core files; at most open_files open
 * files when > 0), then become user; exits (log_fatal) when that fails. key
 * names the config key in messages, e.g. "[worker] user". Started as root
 * with user empty it refuses to go on (a forgotten setting must not leave
 * a daemon that parses hostile input running as root); user "root" keeps
 * root on purpose. */
void daemon_drop_privileges_limited(const char *user, const char *key, long long open_files);

#endif
