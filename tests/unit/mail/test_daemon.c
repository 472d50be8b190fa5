/*
 * test_daemon.c - what a daemon does with its [x] user when started as
 * root: refuses an empty one with advice, keeps root only when told
 * "root", and otherwise drops to the user with no core files and exactly
 * the open-file limit it asked for. Each case runs in a child process.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "base/log.h"
#include "mail/daemon.h"

/* in_child - run fn(arg) in a child with stderr in errfile; exit status. */
static int in_child(int (*fn)(const char *), const char *arg, const char *errfile)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (freopen(errfile, "w", stderr) == NULL)
			_exit(98);
		log_init("test_daemon", LOG_DEST_STDERR, 0);
		int rc = fn(arg);
		fflush(stderr);
		_exit(rc);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int file_has(const char *path, const char *text)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	if (strstr(buf, text) == NULL) {
		printf("#   %s: \"%s\" not in: %s\n", path, text, buf);
		return 0;
	}
	return 1;
}

static int drop_as(const char *user)
{
	daemon_drop_privileges_limited(user, "[worker] user", 300);
	struct rlimit files, core;
	if (getrlimit(RLIMIT_NOFILE, &files) != 0 || getrlimit(RLIMIT_CORE, &core) != 0)
		return 10;
	if (files.rlim_cur != 300 || files.rlim_max != 300)
		return 11;
	if (core.rlim_cur != 0 || core.rlim_max != 0)
		return 12;
	if (strcmp(user, "root") == 0)
		return geteuid() == 0 ? 0 : 13;
	struct passwd *pw = getpwnam(user);
	return pw && getuid() == pw->pw_uid && geteuid() == pw->pw_uid ? 0 : 14;
}

static char errfile[64];

TEST(root_with_an_empty_user_refuses_to_start)
{
	CHECK_INT(in_child(drop_as, "", errfile), 1);
	CHECK(file_has(errfile, "[worker] user is empty and this daemon was started as root"));
	CHECK(file_has(errfile, "or to root to run as root on purpose"));
}

TEST(user_root_keeps_root_on_purpose)
{
	CHECK_INT(in_child(drop_as, "root", errfile), 0);
	CHECK(file_has(errfile, "running as root, as [worker] user = root asks"));
}

TEST(a_user_gets_the_limits_and_loses_root)
{
	CHECK_INT(in_child(drop_as, "nobody", errfile), 0);
	CHECK(file_has(errfile, "running as user nobody"));
}

int main(void)
{
	if (getuid() != 0) {
		printf("ok - not_root_nothing_to_exercise # skipped: needs root\n");
		return 0;
	}
	snprintf(errfile, sizeof(errfile), "/tmp/mxray-test-daemon-%d.err", (int)getpid());
	RUN(root_with_an_empty_user_refuses_to_start);
	RUN(user_root_keeps_root_on_purpose);
	RUN(a_user_gets_the_limits_and_loses_root);
	unlink(errfile);
	return harness_done();
}
