/*
 * privdrop.h - giving up root once a daemon holds what it needs.
 *
 * A daemon started as root binds its sockets, then calls privdrop_to()
 * with the configured user: supplementary groups are cleared, then the
 * group and the user are changed, and the change is checked to be
 * irreversible. Limits are tightened too: no core files (they could hold
 * keys and report data), and as many open files as the daemon needs. The
 * code that parses hostile input then runs with the authority of that
 * user only.
 */
#ifndef MXRAY_BASE_PRIVDROP_H
#define MXRAY_BASE_PRIVDROP_H

#include <stddef.h>

/* privdrop_to - become user (a name); 0 ok, -1 with the reason in err.
 * user NULL or "" keeps the current identity (0). */
int privdrop_to(const char *user, char *err, size_t errlen);
/* privdrop_limits - no core dumps, and when open_files > 0 at most that
 * many open files (soft and hard; only up to the hard limit when not
 * root); 0 ok, -1 with reason. */
int privdrop_limits(long long open_files, char *err, size_t errlen);

#endif
