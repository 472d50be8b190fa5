/*
 * fixture_redis.h - a real redis-server for one test program.
 *
 * Starts redis-server on a unix socket in a fresh temporary directory (no
 * TCP port, so tests never collide), waits until it answers, and stops it
 * by PID. Use: fixture_redis_start(&fx) ... fixture_redis_stop(&fx).
 */
#ifndef MXRAY_TEST_FIXTURE_REDIS_H
#define MXRAY_TEST_FIXTURE_REDIS_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fixture_redis {
	char dir[64];
	char socket[100];
	pid_t pid;
} fixture_redis_t;

static int fixture_redis_ready(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

static int fixture_redis_start(fixture_redis_t *fx)
{
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mxray-redis-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->socket, sizeof(fx->socket), "%s/redis.sock", fx->dir);
	fx->pid = fork();
	if (fx->pid == 0) {
		char logfile[128];
		snprintf(logfile, sizeof(logfile), "%s/redis.log", fx->dir);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", fx->socket,
		       "--save", "", "--appendonly", "no", "--dir", fx->dir, "--logfile", logfile,
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {	/* at most 5 s */
		if (fixture_redis_ready(fx->socket))
			return 0;
		usleep(50000);
	}
	printf("#   redis-server did not start (log: %s/redis.log)\n", fx->dir);
	return -1;
}

static void fixture_redis_stop(fixture_redis_t *fx)
{
	if (fx->pid > 0) {
		kill(fx->pid, SIGTERM);
		waitpid(fx->pid, NULL, 0);
		fx->pid = 0;
	}
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		printf("#   could not remove %s\n", fx->dir);
}

#endif
