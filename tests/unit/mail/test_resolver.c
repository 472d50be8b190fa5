/*
 * test_resolver.c - a lookup never outlasts its deadline: a forwarder that
 * reads queries and never answers (a UDP and a TCP socket on loopback, in
 * a thread of this test) gives a SERVFAIL marked timed_out with "DNS timed
 * out" within [dns] timeout, or within a job view's deadline when that is
 * sooner, for many threads at once and in a forked child; a child forked
 * before the first lookup gets its own answers, not its parent's. The
 * forwarders' addresses
 * are loopback and still queried (forward: is always allowed);
 * tests/e2e/fault_dns.sh shows refused name servers and the whole check.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "base/clock.h"
#include "mail/config.h"
#include "mail/resolver.h"

#define RR_A 1
#define RR_MX 15

/* The silent forwarder: counts what it reads, answers nothing. */
static int silent_udp = -1, silent_tcp = -1, silent_port;
static volatile int silent_queries, silent_stop;

static void *silent_loop(void *arg)
{
	(void)arg;
	int conns[64], nconn = 0;
	while (!silent_stop) {
		struct pollfd p[66];
		int n = 0;
		p[n++] = (struct pollfd){ silent_udp, POLLIN, 0 };
		p[n++] = (struct pollfd){ silent_tcp, POLLIN, 0 };
		for (int i = 0; i < nconn; i++)
			p[n++] = (struct pollfd){ conns[i], POLLIN, 0 };
		if (poll(p, (nfds_t)n, 100) <= 0)
			continue;
		char buf[4096];
		if (p[0].revents && recv(silent_udp, buf, sizeof(buf), 0) > 0)
			__atomic_add_fetch(&silent_queries, 1, __ATOMIC_SEQ_CST);
		if (p[1].revents && nconn < 64) {
			int c = accept(silent_tcp, NULL, NULL);
			if (c >= 0)
				conns[nconn++] = c;
		}
		for (int i = 2; i < n; i++)
			if (p[i].revents && recv(p[i].fd, buf, sizeof(buf), 0) > 0)
				__atomic_add_fetch(&silent_queries, 1, __ATOMIC_SEQ_CST);
	}
	for (int i = 0; i < nconn; i++)
		close(conns[i]);
	return NULL;
}

/* silent_start - both sockets on one free port of 127.0.0.1. */
static int silent_start(pthread_t *th)
{
	for (int tries = 0; tries < 20; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t len = sizeof(a);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		silent_udp = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(silent_udp, (struct sockaddr *)&a, sizeof(a)) != 0 ||
		    getsockname(silent_udp, (struct sockaddr *)&a, &len) != 0)
			return -1;
		silent_tcp = socket(AF_INET, SOCK_STREAM, 0);
		int one = 1;
		setsockopt(silent_tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(silent_tcp, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(silent_tcp, 16) == 0) {
			silent_port = ntohs(a.sin_port);
			return pthread_create(th, NULL, silent_loop, NULL);
		}
		close(silent_udp);
		close(silent_tcp);
	}
	return -1;
}

/* The answering forwarder: every UDP query comes back as an empty
 * NOERROR reply at once. Under the root's real trust anchor that makes
 * each answer bogus (no DNSKEY, no proof), quickly: an answer, not a
 * timeout, which is what the fork case needs to tell apart. */
static int answering_udp = -1, answering_port;

static void *answering_loop(void *arg)
{
	(void)arg;
	while (!silent_stop) {
		struct pollfd p = { answering_udp, POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		unsigned char buf[4096];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(answering_udp, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 12)
			continue;
		buf[2] |= 0x80;		/* QR: a response */
		buf[3] &= 0xf0;		/* RCODE NOERROR */
		memset(buf + 6, 0, 6);	/* no answer, authority or additional records */
		size_t q = 12;		/* keep the question, drop the rest (EDNS) */
		while (q < (size_t)n && buf[q] != 0)
			q += (size_t)buf[q] + 1;
		q += 5;
		if (q <= (size_t)n)
			sendto(answering_udp, buf, q, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

static int answering_start(pthread_t *th)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	answering_udp = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(answering_udp, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(answering_udp, (struct sockaddr *)&a, &len) != 0)
		return -1;
	answering_port = ntohs(a.sin_port);
	return pthread_create(th, NULL, answering_loop, NULL);
}

/* resolver_port - a resolver forwarding to 127.0.0.1@port, [dns] timeout. */
static resolver_t *resolver_port(int port, const char *timeout, mxray_config_t *cfg)
{
	char text[256], err[512] = "";
	snprintf(text, sizeof(text), "[dns]\nresolver = forward:127.0.0.1@%d\ntimeout = %s\n",
		 port, timeout);
	if (config_load_string(text, cfg, err, sizeof(err)) != 0) {
		printf("#   config: %s\n", err);
		return NULL;
	}
	resolver_t *r = resolver_new(cfg, err, sizeof(err));
	if (r == NULL)
		printf("#   resolver_new: %s\n", err);
	return r;
}

/* resolver_at - a resolver forwarding to the silent server. */
static resolver_t *resolver_at(const char *timeout, mxray_config_t *cfg)
{
	return resolver_port(silent_port, timeout, cfg);
}

/* timed_out_ok - a is the timeout answer. */
static int timed_out_ok(const dns_answer_t *a)
{
	return a != NULL && a->outcome == DNS_SERVFAIL && a->timed_out && a->count == 0 &&
	       a->why_failed != NULL && strstr(a->why_failed, "DNS timed out") != NULL;
}

TEST(unanswered_lookup_ends_at_the_dns_timeout)
{
	mxray_config_t cfg;
	resolver_t *r = resolver_at("600ms", &cfg);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	int before = silent_queries;
	dns_answer_t *a = NULL;
	char err[256] = "";
	long long t0 = clock_ms();
	int rc = resolver_query(r, "silent.example.", RR_MX, &a, err, sizeof(err));
	long long took = clock_ms() - t0;
	CHECK_INT(rc, 0);
	CHECK(timed_out_ok(a));
	if (a && a->why_failed)
		printf("#   %s (%lld ms)\n", a->why_failed, took);
	CHECK(took >= 550 && took < 1500);
	CHECK(silent_queries > before);	/* the loopback forwarder was asked */
	dns_answer_free(a);
	resolver_free(r);
	config_free(&cfg);
}

TEST(job_view_ends_at_the_job_deadline_before_the_dns_timeout)
{
	mxray_config_t cfg;
	resolver_t *r = resolver_at("30s", &cfg);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	resolver_t *job = resolver_for_job(r, clock_ms() + 500);
	dns_answer_t *a = NULL;
	char err[256] = "";
	long long t0 = clock_ms();
	CHECK_INT(resolver_query(job, "job.example.", RR_A, &a, err, sizeof(err)), 0);
	long long took = clock_ms() - t0;
	CHECK(timed_out_ok(a));
	CHECK(took >= 450 && took < 1500);
	dns_answer_free(a);
	/* Past the deadline a lookup fails at once, without asking anyone. */
	int before = silent_queries;
	t0 = clock_ms();
	a = NULL;
	CHECK_INT(resolver_query(job, "late.example.", RR_A, &a, err, sizeof(err)), 0);
	CHECK(timed_out_ok(a));
	CHECK(a && a->why_failed && strstr(a->why_failed, "deadline") != NULL);
	CHECK(clock_ms() - t0 < 100);
	usleep(200 * 1000);
	CHECK_INT(silent_queries, before);
	dns_answer_free(a);
	resolver_free(job);
	resolver_free(r);
	config_free(&cfg);
}

typedef struct many_arg {
	resolver_t *r;
	int n;
	int ok;
	long long took;
} many_arg_t;

static void *many_one(void *arg)
{
	many_arg_t *m = arg;
	char name[64], err[256];
	snprintf(name, sizeof(name), "t%d.many.example.", m->n);
	dns_answer_t *a = NULL;
	long long t0 = clock_ms();
	m->ok = resolver_query(m->r, name, RR_A, &a, err, sizeof(err)) == 0 && timed_out_ok(a);
	m->took = clock_ms() - t0;
	dns_answer_free(a);
	return NULL;
}

TEST(many_threads_each_end_at_their_deadline)
{
	mxray_config_t cfg;
	resolver_t *r = resolver_at("700ms", &cfg);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	enum { N = 16 };
	pthread_t th[N];
	many_arg_t m[N];
	for (int i = 0; i < N; i++) {
		m[i] = (many_arg_t){ r, i, 0, 0 };
		pthread_create(&th[i], NULL, many_one, &m[i]);
	}
	int ok = 0;
	long long worst = 0;
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		ok += m[i].ok;
		if (m[i].took > worst)
			worst = m[i].took;
	}
	printf("#   %d of %d timed out as they should, slowest %lld ms\n", ok, N, worst);
	CHECK_INT(ok, N);
	CHECK(worst < 1700);
	resolver_free(r);
	config_free(&cfg);
}

TEST(forked_child_after_lookups_still_has_a_deadline)
{
	mxray_config_t cfg;
	resolver_t *r = resolver_at("500ms", &cfg);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	dns_answer_t *a = NULL;
	char err[256];
	/* The parent's threads run now; the child has none of them. */
	CHECK_INT(resolver_query(r, "parent.example.", RR_A, &a, err, sizeof(err)), 0);
	dns_answer_free(a);
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);	/* a hang fails the case instead of the run */
		dns_answer_t *c = NULL;
		long long t0 = clock_ms();
		int good = resolver_query(r, "child.example.", RR_A, &c, err, sizeof(err)) == 0 &&
			   timed_out_ok(c) && clock_ms() - t0 < 1500;
		_exit(good ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* and the parent's resolver still works after the fork */
	a = NULL;
	CHECK_INT(resolver_query(r, "parent2.example.", RR_A, &a, err, sizeof(err)), 0);
	CHECK(timed_out_ok(a));
	dns_answer_free(a);
	resolver_free(r);
	config_free(&cfg);
}

/* answered - a quick answer (any outcome), not a timeout. */
static int answered(resolver_t *r, const char *name)
{
	dns_answer_t *a = NULL;
	char err[256];
	long long t0 = clock_ms();
	int good = resolver_query(r, name, RR_A, &a, err, sizeof(err)) == 0 && a != NULL &&
		   !a->timed_out && clock_ms() - t0 < 2000;
	dns_answer_free(a);
	return good;
}

TEST(forked_before_its_first_lookup_child_and_parent_get_their_own_answers)
{
	/* The SPF sandbox's order: fork first, both sides look up later. The
	 * child must not send its questions down the parent's pipes (the
	 * parent's libunbound thread would take them and the child wait). */
	mxray_config_t cfg;
	resolver_t *r = resolver_port(answering_port, "4s", &cfg);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		alarm(20);
		usleep(300 * 1000);	/* the parent's threads run by now */
		int good = 0;
		char name[64];
		for (int i = 0; i < 5; i++) {
			snprintf(name, sizeof(name), "c%d.child.example.", i);
			good += answered(r, name);
		}
		_exit(good == 5 ? 0 : 1);
	}
	int parent_good = 0;
	char name[64];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "p%d.parent.example.", i);
		parent_good += answered(r, name);
		usleep(100 * 1000);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK_INT(parent_good, 10);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	resolver_free(r);
	config_free(&cfg);
}

int main(void)
{
	pthread_t th, ath;
	alarm(90);	/* a hung lookup or shutdown kills the run: a failure, not a hang */
	if (silent_start(&th) != 0 || answering_start(&ath) != 0) {
		printf("not ok - silent_forwarder_starts\n");
		return 1;
	}
	RUN(unanswered_lookup_ends_at_the_dns_timeout);
	RUN(job_view_ends_at_the_job_deadline_before_the_dns_timeout);
	RUN(many_threads_each_end_at_their_deadline);
	RUN(forked_child_after_lookups_still_has_a_deadline);
	RUN(forked_before_its_first_lookup_child_and_parent_get_their_own_answers);
	silent_stop = 1;
	pthread_join(th, NULL);
	pthread_join(ath, NULL);
	close(answering_udp);
	close(silent_udp);
	close(silent_tcp);
	return harness_done();
}
