/*
 * spf_sandbox.c - a keeper, a helper, one child per SPF evaluation (see
 * spf_sandbox.h for why).
 *
 * Processes: the caller forks the keeper (single-threaded, before the
 * caller's threads and sockets exist); the keeper gives up root, reports
 * "R" (or "E<why>") on the control socket once, then forks the helper and
 * forks it again whenever it dies. The helper reads requests and forks a
 * child per request, up to max_children at once. Neither keeper nor helper
 * parses SPF, DNS or anything a sender wrote.
 *
 * Protocol. Control: a SOCK_SEQPACKET socketpair; the caller sends one
 * datagram per request, the JSON {"ip", "helo", "from"} (at most 4 KB),
 * with one end of a fresh SOCK_SEQPACKET socketpair attached (SCM_RIGHTS):
 * the reply channel of that request alone. On it the child sends
 * "A<spf object>" (at most 64 KB) and exits; the helper sends
 * "S<why it did not finish>" when the child was killed at the deadline,
 * crashed or could not be forked, then closes. The caller reads until
 * end of file or its own deadline, so answers never cross between
 * threads, and a late answer has nobody to reach.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/privdrop.h"
#include "analysis/spf_check.h"
#include "analysis/spf_sandbox.h"

/* AddressSanitizer reserves terabytes of address space for its shadow
 * memory: a sanitized build cannot live under an address-space limit. */
#if defined(__SANITIZE_ADDRESS__)
#define SPF_SANDBOX_LIMIT_AS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPF_SANDBOX_LIMIT_AS 0
#endif
#endif
#ifndef SPF_SANDBOX_LIMIT_AS
#define SPF_SANDBOX_LIMIT_AS 1
#endif

#define SPF_SANDBOX_REQUEST_MAX 4096
#define SPF_SANDBOX_ANSWER_MAX 65536
#define SPF_SANDBOX_CHILDREN_MAX 64
#define SPF_SANDBOX_START_MS 5000	/* for the keeper's "R" */
#define SPF_SANDBOX_SLACK_MS 2000	/* the caller waits timeout + this */

struct spf_sandbox {
	int ctl;		/* our end of the control socketpair */
	pid_t keeper;
	long long timeout_ms;
};

typedef struct child {
	pid_t pid;		/* 0: free slot */
	int reply;		/* the request's reply channel (the helper's copy) */
	long long deadline;
	int killed;		/* killed at the deadline */
} child_t;

/* sandbox_error - the "spf" object for an evaluation that did not finish. */
static json_t *sandbox_error(const char *why)
{
	return json_pack("{s:n s:s s:s s:n}", "domain", "result", "temperror", "explanation", why,
			 "record");
}

/* child_limits - what an evaluation may use: little memory, CPU and files,
 * no core file, no new privileges; it dies with the helper. */
static void child_limits(long long timeout_ms)
{
	struct rlimit as = { 256u << 20, 256u << 20 };
	rlim_t cpu = (rlim_t)(timeout_ms / 1000 + 2);
	struct rlimit cpul = { cpu, cpu };
	struct rlimit none = { 0, 0 };
	struct rlimit files = { 32, 32 };
	if (SPF_SANDBOX_LIMIT_AS)
		setrlimit(RLIMIT_AS, &as);
	setrlimit(RLIMIT_CPU, &cpul);
	setrlimit(RLIMIT_CORE, &none);
	setrlimit(RLIMIT_NOFILE, &files);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

/* send_tagged - one datagram: tag, then text. */
static void send_tagged(int fd, char tag, const char *text)
{
	size_t n = strlen(text);
	char *buf = malloc(n + 1);
	if (buf == NULL)
		return;
	buf[0] = tag;
	memcpy(buf + 1, text, n);
	send(fd, buf, n + 1, MSG_NOSIGNAL);
	free(buf);
}

/* evaluate - in the child: run SPF for the request, send the answer. */
static void __attribute__((noreturn)) evaluate(const analysis_dns_t *dns, const char *request,
					       int reply, long long timeout_ms)
{
	child_limits(timeout_ms);
	json_t *req = json_loads(request, 0, NULL);
	json_t *spf = spf_check_run(dns, json_string_value(json_object_get(req, "ip")),
				    json_string_value(json_object_get(req, "helo")),
				    json_string_value(json_object_get(req, "from")));
	char *text = json_dumps(spf, JSON_COMPACT);
	if (text && strlen(text) < SPF_SANDBOX_ANSWER_MAX)
		send_tagged(reply, 'A', text);
	_exit(0);
}

/* child_status - why a reaped child gave no answer, or "" when it ended
 * normally (it sent its answer, or the caller sees none). */
static void child_status(const child_t *ch, int status, long long timeout_ms, char *why,
			 size_t len)
{
	why[0] = '\0';
	if (ch->killed)
		snprintf(why, len, "SPF evaluation took longer than %lld ms and was stopped",
			 timeout_ms);
	else if (WIFSIGNALED(status))
		snprintf(why, len, "SPF evaluation crashed (signal %d) on this domain's records; "
			 "the milter was not affected", WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		/* A crash caught by a sanitizer's handler ends as an exit status. */
		snprintf(why, len, "SPF evaluation crashed (exit status %d) on this domain's "
			 "records; the milter was not affected", WEXITSTATUS(status));
}

/* receive_request - one request and its reply channel from the control
 * socket: 1 with *reply set, 0 when the caller is gone, -1 for a datagram
 * to drop. */
static int receive_request(int ctl, char *request, size_t size, int *reply)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = { request, size - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	ssize_t n = recvmsg(ctl, &msg, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? -1 : 0;
	request[n] = '\0';
	*reply = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fds[4];
		memcpy(fds, CMSG_DATA(c), nfd * sizeof(int));
		for (size_t i = 0; i < nfd; i++) {
			if (*reply < 0)
				*reply = fds[i];
			else
				close(fds[i]);
		}
	}
	if (*reply < 0)
		return -1;
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		send_tagged(*reply, 'S', "SPF not evaluated: request too large");
		close(*reply);
		return -1;
	}
	return 1;
}

/* helper_main - the helper: requests in, a child each, at most max at once. */
static void __attribute__((noreturn)) helper_main(int ctl, const analysis_dns_t *dns,
						  long long timeout_ms, int max)
{
	child_t kids[SPF_SANDBOX_CHILDREN_MAX];
	memset(kids, 0, sizeof(kids));
	int running = 0;
	sigset_t chld, old;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		log_error("spf helper: signalfd: %s", strerror(errno));
		_exit(2);
	}
	signal(SIGPIPE, SIG_IGN);
	char request[SPF_SANDBOX_REQUEST_MAX + 1];
	for (;;) {
		long long now = clock_ms(), wait_ms = -1;
		for (int i = 0; i < max; i++) {
			if (kids[i].pid == 0 || kids[i].killed)
				continue;
			if (kids[i].deadline <= now) {
				kill(kids[i].pid, SIGKILL);
				kids[i].killed = 1;
			} else if (wait_ms < 0 || kids[i].deadline - now < wait_ms) {
				wait_ms = kids[i].deadline - now;
			}
		}
		/* Past max_children, requests wait in the socket's queue. */
		struct pollfd pfd[2] = { { sfd, POLLIN, 0 }, { ctl, running < max ? POLLIN : 0, 0 } };
		int r = poll(pfd, 2, wait_ms < 0 ? -1 : (int)wait_ms);
		if (r < 0 && errno != EINTR)
			_exit(2);
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				for (int i = 0; i < max; i++) {
					if (kids[i].pid != pid)
						continue;
					char why[256];
					child_status(&kids[i], status, timeout_ms, why, sizeof(why));
					if (why[0])
						send_tagged(kids[i].reply, 'S', why);
					close(kids[i].reply);
					memset(&kids[i], 0, sizeof(kids[i]));
					running--;
					break;
				}
			}
		}
		if (running >= max || !(pfd[1].revents & (POLLIN | POLLHUP)))
			continue;
		int reply;
		int got = receive_request(ctl, request, sizeof(request), &reply);
		if (got == 0)
			_exit(0);	/* the caller closed its end: we are done */
		if (got < 0)
			continue;
		int slot = 0;
		while (slot < max && kids[slot].pid != 0)
			slot++;
		pid_t pid = fork();
		if (pid < 0) {
			char why[200];
			snprintf(why, sizeof(why), "SPF not evaluated: fork: %s", strerror(errno));
			send_tagged(reply, 'S', why);
			close(reply);
			continue;
		}
		if (pid == 0) {
			/* Nothing of the helper's: not the control socket, not the
			 * other requests' channels. */
			close(ctl);
			close(sfd);
			for (int i = 0; i < max; i++)
				if (kids[i].pid != 0)
					close(kids[i].reply);
			sigprocmask(SIG_SETMASK, &old, NULL);
			signal(SIGPIPE, SIG_DFL);
			evaluate(dns, request, reply, timeout_ms);
		}
		kids[slot] = (child_t){ pid, reply, clock_ms() + timeout_ms, 0 };
		running++;
	}
}

/* keeper_main - give up root, say so, then keep a helper running. */
static void __attribute__((noreturn)) keeper_main(int ctl, const analysis_dns_t *dns,
						  const spf_sandbox_opts_t *o, int max)
{
	char err[300];
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);	/* never outlive the caller */
	if (privdrop_to(o->user, err, sizeof(err)) != 0) {
		send_tagged(ctl, 'E', err);
		_exit(1);
	}
	send_tagged(ctl, 'R', "");
	long long backoff = 100;
	for (;;) {
		long long started = clock_ms();
		pid_t pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			helper_main(ctl, dns, o->timeout_ms, max);
		}
		if (pid < 0) {
			log_error("spf keeper: cannot fork the SPF helper: %s", strerror(errno));
		} else {
			int status;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				_exit(0);	/* the caller is gone */
			log_warn("spf keeper: the SPF helper process %d died (%s %d); starting a new one",
				 (int)pid, WIFSIGNALED(status) ? "signal" : "exit status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
		/* A helper that dies at once again and again is not restarted in
		 * a tight loop; one that lived a while is restarted at once. */
		if (clock_ms() - started > 10000)
			backoff = 100;
		usleep((useconds_t)(backoff * 1000));
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
	}
}

spf_sandbox_t *spf_sandbox_start_opts(const analysis_dns_t *dns, const spf_sandbox_opts_t *opts,
				      char *err, size_t errlen)
{
	int max = opts->max_children > 0 ? opts->max_children : SPF_SANDBOX_CHILDREN;
	if (max > SPF_SANDBOX_CHILDREN_MAX)
		max = SPF_SANDBOX_CHILDREN_MAX;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return NULL;
	}
	spf_sandbox_t *sb = calloc(1, sizeof(*sb));
	if (sb == NULL) {
		close(sv[0]);
		close(sv[1]);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(sb);
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		keeper_main(sv[1], dns, opts, max);
	}
	close(sv[1]);
	sb->ctl = sv[0];
	sb->keeper = pid;
	sb->timeout_ms = opts->timeout_ms;
	/* The keeper's first word: ready, or why it could not drop privileges. */
	char hello[400];
	struct pollfd pfd = { sb->ctl, POLLIN, 0 };
	ssize_t n = poll(&pfd, 1, SPF_SANDBOX_START_MS) == 1 ? recv(sb->ctl, hello, sizeof(hello) - 1, 0) : -1;
	if (n < 1 || hello[0] != 'R') {
		if (n > 1 && hello[0] == 'E') {
			hello[n] = '\0';
			snprintf(err, errlen, "the SPF helper cannot drop privileges: %s", hello + 1);
		} else {
			snprintf(err, errlen, "the SPF helper did not start");
		}
		spf_sandbox_stop(sb);
		return NULL;
	}
	return sb;
}

spf_sandbox_t *spf_sandbox_start(const analysis_dns_t *dns, long long timeout_ms, char *err,
				 size_t errlen)
{
	spf_sandbox_opts_t o = { .timeout_ms = timeout_ms };
	return spf_sandbox_start_opts(dns, &o, err, errlen);
}

/* send_request - the request with its reply channel attached, waiting
 * for room until deadline. 0, or -1 with errno. */
static int send_request(int ctl, const char *text, int channel, long long deadline)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct iovec iov = { (void *)text, strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &channel, sizeof(int));
	for (;;) {
		if (sendmsg(ctl, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		long long left = deadline - clock_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		struct pollfd pfd = { ctl, POLLOUT, 0 };
		poll(&pfd, 1, (int)left);
	}
}

json_t *spf_sandbox_run(spf_sandbox_t *sb, const char *client_ip, const char *helo,
			const char *mail_from)
{
	json_t *req = json_pack("{s:s? s:s? s:s?}", "ip", client_ip, "helo", helo, "from", mail_from);
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL || strlen(text) > SPF_SANDBOX_REQUEST_MAX) {
		free(text);
		return sandbox_error("SPF not evaluated: request too large");
	}
	int ch[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) != 0) {
		free(text);
		log_error("spf: socketpair: %s", strerror(errno));
		return sandbox_error("SPF not evaluated: no socket for the SPF helper");
	}
	/* The helper's own deadline cuts the child; ours allows for queueing. */
	long long deadline = clock_ms() + sb->timeout_ms + SPF_SANDBOX_SLACK_MS;
	int sent = send_request(sb->ctl, text, ch[1], deadline);
	int send_errno = errno;
	close(ch[1]);
	free(text);
	json_t *spf = NULL;
	char status[300] = "";
	int ended = 0;	/* end of file seen: the child and the helper are done */
	char *buf = malloc(SPF_SANDBOX_ANSWER_MAX + 2);
	while (sent == 0 && buf != NULL) {
		long long left = deadline - clock_ms();
		struct pollfd pfd = { ch[0], POLLIN, 0 };
		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			break;
		ssize_t n = recv(ch[0], buf, SPF_SANDBOX_ANSWER_MAX + 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ended = n == 0;
			break;
		}
		buf[n] = '\0';
		if (buf[0] == 'A' && spf == NULL && n <= SPF_SANDBOX_ANSWER_MAX) {
			spf = json_loads(buf + 1, 0, NULL);
			if (!json_is_object(spf)) {
				json_decref(spf);
				spf = NULL;
			}
		} else if (buf[0] == 'S' && status[0] == '\0') {
			snprintf(status, sizeof(status), "%.*s", (int)(n - 1), buf + 1);
		}
	}
	free(buf);
	close(ch[0]);
	if (spf != NULL) {
		return spf;
	}
	if (status[0]) {
		if (strstr(status, "crashed"))
			log_warn("spf: %s", status);
		return sandbox_error(status);
	}
	if (ended) {
		/* the child ended without an answer, or the helper died with it */
		log_warn("spf: the SPF evaluation ended without an answer");
		return sandbox_error("SPF evaluation gave no answer");
	}
	if (sent != 0)
		log_error("spf: cannot reach the SPF helper: %s", strerror(send_errno));
	else
		log_error("spf: the SPF helper gave no answer within %lld ms (it is restarted "
			  "when it dies)", sb->timeout_ms + SPF_SANDBOX_SLACK_MS);
	return sandbox_error("SPF not evaluated: the SPF helper process is not answering");
}

pid_t spf_sandbox_keeper(const spf_sandbox_t *sb)
{
	return sb->keeper;
}

void spf_sandbox_stop(spf_sandbox_t *sb)
{
	if (sb == NULL)
		return;
	close(sb->ctl);	/* the helper reads end of file, the keeper follows */
	int status;
	while (waitpid(sb->keeper, &status, 0) < 0 && errno == EINTR)
		;
	free(sb);
}
