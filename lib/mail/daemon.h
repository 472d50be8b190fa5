/*
 * daemon.h - what every mxray daemon does once it holds its sockets:
 * no core files, then root given up for the configured user.
 */
#ifndef MXRAY_MAIL_DAEMON_H
#define MXRAY_MAIL_DAEMON_H

/* daemon_drop_privileges - exits (log_fatal) when the drop fails; key
 * names the config key in messages, e.g. "[worker] user". */
void daemon_drop_privileges(const char *user, const char *key);

#endif
