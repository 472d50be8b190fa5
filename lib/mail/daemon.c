/*
 * daemon.c - the privilege drop shared by mxray's daemons (see daemon.h).
 */
#include <unistd.h>

#include "base/log.h"
#include "base/privdrop.h"
#include "mail/daemon.h"

void daemon_drop_privileges(const char *user, const char *key)
{
	char err[512];

	if (privdrop_limits(err, sizeof(err)) != 0)
		log_fatal("limits: %s", err);
	if (privdrop_to(user, err, sizeof(err)) != 0)
		log_fatal("%s: %s", key, err);
	if (geteuid() == 0)
		log_info("running as root: set %s to an unprivileged user (the systemd "
			 "units run unprivileged already)", key);
	else if (user && user[0])
		log_info("running as user %s", user);
}
