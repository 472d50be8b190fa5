/*
 * log.c - the logging ladder (see log.h): stderr or syslog's mail facility.
 *
 * Each call formats into a stack buffer, so threads never share state
 * beyond the settings written once by log_init before any thread starts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <time.h>

#include "base/log.h"

static const char *log_progname = "mxray";
static log_dest_t log_destination = LOG_DEST_STDERR;
static int log_verbose;

void log_init(const char *progname, log_dest_t dest, int verbose)
{
	log_progname = progname;
	log_destination = dest;
	log_verbose = verbose;
	if (dest == LOG_DEST_SYSLOG)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

__attribute__((format(printf, 3, 0)))
static void log_emit(int priority, const char *level, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_destination == LOG_DEST_SYSLOG) {
		syslog(priority, "%s: %s", level, msg);
		return;
	}
	char stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s: %s: %s\n", stamp, ts.tv_nsec / 1000000,
		log_progname, level, msg);
}

#define LOG_BODY(prio, level) do { \
	va_list ap; \
	va_start(ap, fmt); \
	log_emit(prio, level, fmt, ap); \
	va_end(ap); \
} while (0)

void log_debug(const char *fmt, ...)
{
	if (!log_verbose)
		return;
	LOG_BODY(LOG_DEBUG, "debug");
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, "info");
}

void log_warn(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, "warning");
}

void log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, "error");
}

void log_fatal(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "fatal");
	exit(1);
}

void log_panic(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, "panic");
	abort();
}
