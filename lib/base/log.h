/*
 * log.h - one logging ladder for every mxray program.
 *
 * Severity has fixed meanings (see ../shared/STYLE.md practice 5):
 *   log_debug  detail for developers, shown with -v only;
 *   log_info   normal operation (one line per test, start/stop);
 *   log_warn   the remote side misbehaved: a finding for us, not our error;
 *   log_error  our environment failed (Redis down, config wrong);
 *   log_fatal  cannot go on: logs and exits with status 1;
 *   log_panic  our own bug: logs and aborts.
 * Every message should start with the peer or the function it concerns.
 * Remote text must be made printable (text_printable) before it is logged.
 * Thread-safe: each call formats into its own stack buffer.
 */
#ifndef MXRAY_BASE_LOG_H
#define MXRAY_BASE_LOG_H

#include <stdarg.h>

typedef enum log_dest {
	LOG_DEST_STDERR,
	LOG_DEST_SYSLOG,
} log_dest_t;

/* log_init - name the program and pick stderr or syslog (mail facility). */
void log_init(const char *progname, log_dest_t dest, int verbose);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
