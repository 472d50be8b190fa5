/*
 * test_privdrop.c - a daemon started as root really stops being root.
 * Runs each case in a child process, so the test itself keeps its rights.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "base/privdrop.h"

/* in_child - run fn in a child; its exit status (0 = all held). */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int status = 0;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int become_nobody(void)
{
	char err[256];
	struct passwd *pw = getpwnam("nobody");
	if (pw == NULL)
		return 10;
	if (privdrop_to("nobody", err, sizeof(err)) != 0)
		return 11;
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid)
		return 12;
	if (setuid(0) == 0)
		return 13;	/* root regained: the drop was not for good */
	gid_t groups[8];
	if (getgroups(8, groups) != 0)
		return 14;	/* supplementary groups kept */
	return 0;
}

static int refuse_unknown_user(void)
{
	char err[256] = "";
	if (privdrop_to("no-such-user-mxray", err, sizeof(err)) != -1)
		return 20;
	if (strstr(err, "does not exist") == NULL || strstr(err, "useradd") == NULL)
		return 21;
	if (getuid() != 0)
		return 22;	/* a failed drop changes nothing */
	if (privdrop_to("root", err, sizeof(err)) != -1 || strstr(err, "is root") == NULL)
		return 23;
	return 0;
}

static int no_core_files(void)
{
	char err[256];
	struct rlimit r;
	if (privdrop_limits(0, err, sizeof(err)) != 0 || getrlimit(RLIMIT_CORE, &r) != 0)
		return 30;
	return r.rlim_cur == 0 && r.rlim_max == 0 ? 0 : 31;
}

TEST(root_becomes_the_user_for_good)
{
	if (getuid() != 0) {
		printf("# not root: the drop cannot be exercised here\n");
		return;
	}
	CHECK_INT(in_child(become_nobody), 0);
}

TEST(unknown_or_root_user_is_refused_with_advice)
{
	if (getuid() != 0)
		return;
	CHECK_INT(in_child(refuse_unknown_user), 0);
}

TEST(core_files_are_off)
{
	CHECK_INT(in_child(no_core_files), 0);
}

TEST(empty_user_keeps_identity)
{
	char err[64];
	uid_t before = getuid();
	CHECK_INT(privdrop_to("", err, sizeof(err)), 0);
	CHECK_INT(privdrop_to(NULL, err, sizeof(err)), 0);
	CHECK_INT(getuid(), before);
}

int main(void)
{
	RUN(root_becomes_the_user_for_good);
	RUN(unknown_or_root_user_is_refused_with_advice);
	RUN(core_files_are_off);
	RUN(empty_user_keeps_identity);
	return harness_done();
}
