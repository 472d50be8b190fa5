/*
 * spf_sandbox.c - one helper process, one child per SPF evaluation (see
 * spf_sandbox.h for why).
 *
 * Protocol on a SOCK_SEQPACKET socketpair, one datagram each way:
 *   request  {"id": N, "ip": ..., "helo": ..., "from": ...}   (at most 4 KB)
 *   answer   "N\n" then the "spf" object of docs/report-format.md
 * The id lets the milter drop a late answer to a request it gave up on.
 * The helper only forks, waits and relays; it never parses SPF itself.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
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

struct spf_sandbox {
	int fd;			/* our end of the socketpair */
	pid_t helper;
	pthread_mutex_t lock;
	long long timeout_ms;
	unsigned long next_id;
};

/* sandbox_error - the "spf" object for an evaluation that did not finish. */
static json_t *sandbox_error(const char *why)
{
	return json_pack("{s:n s:s s:s s:n}", "domain", "result", "temperror", "explanation", why,
			 "record");
}

/* child_limits - what an evaluation may use: little memory, CPU and files,
 * no core file, no new privileges. */
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
}

/* evaluate - in the child: run SPF for the request, write the answer. */
static void evaluate(const analysis_dns_t *dns, const char *request, int out, long long timeout_ms)
{
	child_limits(timeout_ms);
	json_t *req = json_loads(request, 0, NULL);
	json_t *spf = spf_check_run(dns, json_string_value(json_object_get(req, "ip")),
				    json_string_value(json_object_get(req, "helo")),
				    json_string_value(json_object_get(req, "from")));
	char *text = json_dumps(spf, JSON_COMPACT);
	if (text && strlen(text) < SPF_SANDBOX_ANSWER_MAX) {
		size_t n = strlen(text), off = 0;
		while (off < n) {
			ssize_t w = write(out, text + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	_exit(0);
}

/* run_child - fork one evaluation and collect its answer within the
 * deadline; the answer text (malloc'd) or an error in why. */
static char *run_child(const analysis_dns_t *dns, const char *request, long long timeout_ms,
		       char *why, size_t whylen)
{
	int p[2];
	if (pipe(p) != 0) {
		snprintf(why, whylen, "SPF not evaluated: pipe: %s", strerror(errno));
		return NULL;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		snprintf(why, whylen, "SPF not evaluated: fork: %s", strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		close(p[0]);
		evaluate(dns, request, p[1], timeout_ms);
	}
	close(p[1]);
	char *buf = malloc(SPF_SANDBOX_ANSWER_MAX + 1);
	size_t len = 0;
	long long deadline = clock_ms() + timeout_ms;
	int timed_out = 0;
	for (;;) {
		long long left = deadline - clock_ms();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		struct pollfd pfd = { p[0], POLLIN, 0 };
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			timed_out = r == 0;
			break;
		}
		ssize_t n = read(p[0], buf + len, SPF_SANDBOX_ANSWER_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == SPF_SANDBOX_ANSWER_MAX)
			break;
	}
	close(p[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	if (timed_out) {
		snprintf(why, whylen, "SPF evaluation took longer than %lld ms and was stopped",
			 timeout_ms);
	} else if (WIFSIGNALED(status)) {
		snprintf(why, whylen, "SPF evaluation crashed (signal %d) on this domain's records; "
			 "the milter was not affected", WTERMSIG(status));
	} else if (len == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		/* A crash caught by a sanitizer's handler ends as an exit status. */
		snprintf(why, whylen, "SPF evaluation crashed (exit status %d) on this domain's "
			 "records; the milter was not affected", WEXITSTATUS(status));
	} else if (len == 0) {
		snprintf(why, whylen, "SPF evaluation gave no answer");
	} else {
		return buf;
	}
	free(buf);
	return NULL;
}

/* helper_main - the helper: one request at a time, one child each. */
static void helper_main(int fd, const analysis_dns_t *dns, long long timeout_ms)
{
	char request[SPF_SANDBOX_REQUEST_MAX + 1];
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ssize_t n = recv(fd, request, SPF_SANDBOX_REQUEST_MAX, 0);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			_exit(0);	/* the milter closed its end: we are done */
		}
		request[n] = '\0';
		json_t *req = json_loads(request, 0, NULL);
		json_int_t id = json_integer_value(json_object_get(req, "id"));
		json_decref(req);
		char why[256];
		char *answer = run_child(dns, request, timeout_ms, why, sizeof(why));
		if (answer == NULL) {
			json_t *e = sandbox_error(why);
			answer = json_dumps(e, JSON_COMPACT);
			json_decref(e);
		}
		if (answer) {
			char *framed = malloc(strlen(answer) + 32);
			if (framed) {
				int k = sprintf(framed, "%lld\n%s", (long long)id, answer);
				send(fd, framed, (size_t)k, 0);
				free(framed);
			}
		}
		free(answer);
	}
}

spf_sandbox_t *spf_sandbox_start(const analysis_dns_t *dns, long long timeout_ms, char *err,
				 size_t errlen)
{
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
		prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);	/* never outlive the milter */
		helper_main(sv[1], dns, timeout_ms);
		_exit(0);
	}
	close(sv[1]);
	sb->fd = sv[0];
	sb->helper = pid;
	sb->timeout_ms = timeout_ms;
	pthread_mutex_init(&sb->lock, NULL);
	return sb;
}

json_t *spf_sandbox_run(spf_sandbox_t *sb, const char *client_ip, const char *helo,
			const char *mail_from)
{
	pthread_mutex_lock(&sb->lock);
	unsigned long id = ++sb->next_id;
	pthread_mutex_unlock(&sb->lock);
	json_t *req = json_pack("{s:I s:s? s:s? s:s?}", "id", (json_int_t)id, "ip", client_ip,
				"helo", helo, "from", mail_from);
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL || strlen(text) > SPF_SANDBOX_REQUEST_MAX) {
		free(text);
		return sandbox_error("SPF not evaluated: request too large");
	}
	char *answer = malloc(SPF_SANDBOX_ANSWER_MAX + 1);
	ssize_t n = -1;
	char *body = NULL;
	pthread_mutex_lock(&sb->lock);
	if (send(sb->fd, text, strlen(text), MSG_NOSIGNAL) > 0) {
		/* The helper answers within the child's deadline; allow slack.
		 * Answers to earlier requests we gave up on are skipped. */
		long long deadline = clock_ms() + sb->timeout_ms + 2000;
		while (body == NULL && clock_ms() < deadline) {
			struct pollfd pfd = { sb->fd, POLLIN, 0 };
			if (poll(&pfd, 1, (int)(deadline - clock_ms())) != 1)
				break;
			n = recv(sb->fd, answer, SPF_SANDBOX_ANSWER_MAX, 0);
			if (n <= 0)
				break;
			answer[n] = '\0';
			char *nl = strchr(answer, '\n');
			if (nl && strtoul(answer, NULL, 10) == id)
				body = nl + 1;
		}
	}
	pthread_mutex_unlock(&sb->lock);
	free(text);
	json_t *spf = body ? json_loads(body, 0, NULL) : NULL;
	free(answer);
	if (!json_is_object(spf)) {
		json_decref(spf);
		log_error("spf: the SPF helper process did not answer; SPF is temperror until the "
			  "milter is restarted");
		return sandbox_error("SPF not evaluated: the SPF helper process is not answering");
	}
	const char *expl = json_string_value(json_object_get(spf, "explanation"));
	if (expl && strstr(expl, "crashed"))
		log_warn("spf: %s", expl);
	return spf;
}

void spf_sandbox_stop(spf_sandbox_t *sb)
{
	if (sb == NULL)
		return;
	close(sb->fd);
	int status;
	while (waitpid(sb->helper, &status, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_destroy(&sb->lock);
	free(sb);
}
