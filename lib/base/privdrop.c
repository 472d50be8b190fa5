/*
 * privdrop.c - drop root for a configured user (see privdrop.h).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/privdrop.h"

int privdrop_to(const char *user, char *err, size_t errlen)
{
	if (user == NULL || user[0] == '\0')
		return 0;
	struct passwd pw, *found = NULL;
	char buf[4096];
	int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
	if (found == NULL) {
		snprintf(err, errlen, "user \"%s\" does not exist%s%s (create it with "
			 "useradd --system --no-create-home %s)", user, rc ? ": " : "",
			 rc ? strerror(rc) : "", user);
		return -1;
	}
	if (pw.pw_uid == 0) {
		snprintf(err, errlen, "user \"%s\" is root; name an unprivileged user", user);
		return -1;
	}
	if (getuid() != 0 && geteuid() != 0) {
		if (getuid() == pw.pw_uid)
			return 0;
		snprintf(err, errlen, "cannot become \"%s\": not started as root", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0) {
		snprintf(err, errlen, "cannot become \"%s\": %s", user, strerror(errno));
		return -1;
	}
	/* Paranoia: root must be out of reach for good. */
	if (setuid(0) == 0 || geteuid() == 0) {
		snprintf(err, errlen, "became \"%s\" but could regain root", user);
		return -1;
	}
	return 0;
}

int privdrop_limits(long long open_files, char *err, size_t errlen)
{
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		snprintf(err, errlen, "setrlimit(RLIMIT_CORE): %s", strerror(errno));
		return -1;
	}
	if (open_files <= 0)
		return 0;
	/* Exactly what the daemon needs, soft and hard alike, so a leak or a
	 * flood of peers runs into the limit instead of the whole system's.
	 * Raising the hard limit needs root: without it, its hard limit is
	 * the most it can have. */
	struct rlimit now, want = { (rlim_t)open_files, (rlim_t)open_files };
	if (getrlimit(RLIMIT_NOFILE, &now) != 0) {
		snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -1;
	}
	if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
		if (errno != EPERM || now.rlim_max == RLIM_INFINITY || now.rlim_max >= want.rlim_max) {
			snprintf(err, errlen, "setrlimit(RLIMIT_NOFILE, %lld): %s", open_files,
				 strerror(errno));
			return -1;
		}
		want.rlim_cur = want.rlim_max = now.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &want) != 0) {
			snprintf(err, errlen, "setrlimit(RLIMIT_NOFILE, %llu): %s",
				 (unsigned long long)now.rlim_max, strerror(errno));
			return -1;
		}
	}
	return 0;
}
