/*
 * tls_scan.c - the TLS scan of one address (see tls_scan.h): the engine
 * that decides which ClientHello to send next. The tasks are in
 * tls_scan_suites.c and tls_scan_extras.c (tls_scan_engine.h), the SMTP
 * link in tls_scan_smtp.c; tls_scan_result.c turns what it found into
 * the report's object.
 *
 * Trusts nothing a server answers: every reply goes through ch_parse, and
 * a suite the server "chooses" that we did not offer, or a version we did
 * not ask for, counts as a refusal, never as support. Bounded by the
 * handshake cap, the connection cap and the deadline; shared state is
 * under one mutex.
 *
 * Every hello costs a new connection: connect, greeting, EHLO, STARTTLS,
 * hello, about four round trips. On a real link the scan's time is the
 * number of hellos that must follow one another, so the work is a queue
 * of small tasks that as many threads as the address may have
 * connections (tls_scan_run's parallel) take one hello at a time (a walk
 * goes back into the queue after each of its hellos), and tasks that
 * follow from an answer are queued as soon as it is in:
 *
 *  - first, per protocol: the main list (the suites servers commonly
 *    accept, at most 128); the first connection alone opens the gate for
 *    the others, so a server that refuses the scan sees one connection;
 *  - reverse: the main list backwards. The same pick means the server
 *    chooses (its order); another means it follows the client;
 *  - server order: one walk over the main list gives the server's order
 *    as it goes (offer, remove the pick, repeat); the other suites are
 *    walked beside it, and only a suite found there costs a walk over
 *    the found suites again, to place it in that order;
 *  - client order: the order is ours, so the remaining suites are split
 *    into interleaved walks that run side by side;
 *  - groups, the DHE prime, TLS_FALLBACK_SCSV and Heartbleed as soon as
 *    the first answers say which protocols to use.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "mail/record.h"
#include "probe/tls_scan_engine.h"
#include "probe/tls_suites.h"

static const int proto_versions[TLS_SCAN_NPROTO] = { CH_SSL2, CH_SSL3, CH_TLS10, CH_TLS11,
						     CH_TLS12, CH_TLS13 };

void scan_error(scan_t *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->lock);
	if (json_array_size(s->errors) < 20)
		json_array_append_new(s->errors, record_text(buf, strlen(buf)));
	pthread_mutex_unlock(&s->lock);
}

task_t *scan_task_new(task_kind_t kind, int proto, int prio)
{
	task_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		log_panic("tls_scan: out of memory");
	t->kind = kind;
	t->proto = proto;
	t->prio = prio;
	return t;
}

/* enqueue_locked - into the queue after the tasks of its priority and
 * before the later ones (a walk that has just sent a hello goes behind
 * its equals: round robin). */
static void enqueue_locked(scan_t *s, task_t *t)
{
	task_t **pp = &s->queue;
	while (*pp != NULL && (*pp)->prio <= t->prio)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	pthread_cond_signal(&s->work);
}

/* scan_push_locked - a new task: counted for its protocol until it ends. */
void scan_push_locked(scan_t *s, task_t *t)
{
	s->proto[t->proto].open_tasks++;
	if (t->kind == T_FIRST)
		s->firsts_open++;
	enqueue_locked(s, t);
}

/* scan_link_open - one more connection for a hello, within the handshake cap
 * and the deadline: 0 with *fd and *conn, -1 (noted) when none can be had.
 * A server that refuses a connection (421, a reset, a connection limit)
 * is given time: every thread waits the shared backoff before its next
 * attempt, the backoff doubles from 200 ms to 3.2 s on each refusal and
 * halves on each success, and an attempt is retried up to
 * TLS_SCAN_RETRIES times, so a rate-limiting server slows the scan down
 * instead of ending it; a TLS_SCAN_LINK_FINAL failure is not retried.
 * The first connection that works opens the gate for the first hellos
 * held back. */
int scan_link_open(scan_t *s, int version, int *fd, void **conn)
{
	char err[512];
	pthread_mutex_lock(&s->lock);
	int over = s->handshakes >= TLS_SCAN_MAX_HANDSHAKES;
	if (!over)
		s->handshakes++;
	pthread_mutex_unlock(&s->lock);
	if (over || clock_ms() >= s->deadline) {
		scan_error(s, "%s: %s", ch_version_name(version),
			   over ? "handshake cap reached" : "deadline reached");
		return -1;
	}
	for (int attempt = 0;; attempt++) {
		pthread_mutex_lock(&s->lock);
		long long wait = s->backoff_ms;
		pthread_mutex_unlock(&s->lock);
		if (wait > 0) {
			if (clock_ms() + wait >= s->deadline)
				break;
			struct timespec ts = { wait / 1000, (wait % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		int rc = s->link->open(s->link->ctx, fd, conn, err, sizeof(err));
		if (rc == 0) {
			pthread_mutex_lock(&s->lock);
			s->backoff_ms /= 2;
			if (s->backoff_ms < 50)
				s->backoff_ms = 0;
			if (!s->gate) {
				s->gate = 1;
				while (s->held != NULL) {
					task_t *t = s->held;
					s->held = t->next;
					scan_push_locked(s, t);
				}
			}
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		if (rc == TLS_SCAN_LINK_FINAL)
			break;		/* it will not change its mind */
		pthread_mutex_lock(&s->lock);
		s->refused++;
		s->backoff_ms = s->backoff_ms == 0 ? 200 : s->backoff_ms * 2;
		if (s->backoff_ms > 3200)
			s->backoff_ms = 3200;
		pthread_mutex_unlock(&s->lock);
		if (attempt >= TLS_SCAN_RETRIES || clock_ms() >= s->deadline)
			break;
	}
	scan_error(s, "%s: %s", ch_version_name(version), err);
	return -1;
}

/* scan_handshake - one connection, one hello; 0 with r filled, -1 when no
 * hello could be sent (cap, deadline, connection failure: noted). */
int scan_handshake(scan_t *s, const ch_params_t *p, int want_ske, ch_reply_t *r)
{
	uint8_t hello[CH_HELLO_MAX];
	int fd;
	void *conn = NULL;

	long len = ch_build(p, hello, sizeof(hello));
	if (len < 0)
		log_panic("tls_scan: ClientHello for %s does not build", ch_version_name(p->version));
	if (scan_link_open(s, p->version, &fd, &conn) != 0)
		return -1;
	long long d = clock_ms() + s->hello_timeout_ms;
	ch_exchange(fd, hello, (size_t)len, p->version, want_ske, d < s->deadline ? d : s->deadline,
		    r);
	s->link->close(s->link->ctx, conn);
	if (r->outcome == CH_MALFORMED || r->outcome == CH_IO)
		log_debug("tls_scan: %s hello: %s: %s", ch_version_name(p->version),
			  ch_outcome_name(r->outcome), r->why);
	/* Counted as a refusal, but not silently: a server that answers
	 * hellos with garbage is not one that speaks no TLS, and the report
	 * must not read as if it were. */
	if (r->outcome == CH_MALFORMED)
		scan_error(s, "%s hello: the answer could not be parsed: %s",
			   ch_version_name(p->version), r->why);
	return 0;
}

/* scan_chosen - the server accepted version v with a suite from list; index or -1. */
int scan_chosen(const ch_reply_t *r, int v, const uint32_t *list, size_t n)
{
	if (r->outcome != CH_SERVER_HELLO || r->version != v)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (list[i] == r->suite)
			return (int)i;
	return -1;
}

/* scan_offer - one hello of version v with list (the x25519 share for TLS
 * 1.3): the index of the suite chosen, or -1 (refused, or no answer:
 * *answered says which). */
int scan_offer(scan_t *s, int v, const uint32_t *list, size_t n, ch_reply_t *r, int *answered)
{
	ch_params_t p = { .version = v, .suites = list, .nsuites = n, .sni = s->sni,
			  .key_share_x25519 = 1 };
	memset(r, 0, sizeof(*r));
	*answered = scan_handshake(s, &p, 0, r) == 0;
	return *answered ? scan_chosen(r, v, list, n) : -1;
}

static int task_run(scan_t *s, task_t *t)
{
	switch (t->kind) {
	case T_FIRST: return scan_run_first(s, t);
	case T_REVERSE: return scan_run_reverse(s, t);
	case T_WALK: return scan_run_walk(s, t);
	case T_ORDER: return scan_run_order(s, t);
	case T_GROUPS: return scan_run_groups(s, t);
	case T_DH: return scan_run_dh(s, t);
	case T_FALLBACK: return scan_run_fallback(s, t);
	case T_HEARTBLEED: return scan_run_heartbleed(s, t);
	}
	return 0;
}

/* task_end_locked - the bookkeeping of a task that will not run again. */
static void task_end_locked(scan_t *s, const task_t *t)
{
	proto_state_t *ps = &s->proto[t->proto];
	if (t->kind == T_FIRST && --s->firsts_open == 0)
		scan_extras_queue_locked(s);
	if (--ps->open_tasks > 0)
		return;
	/* Everything of this protocol is done. A server that chooses, with
	 * suites found beside its ordered walk: one walk over them all. */
	if (ps->server_order == 1 && ps->exotic_found && !ps->reordered) {
		task_t *o = scan_task_new(T_ORDER, t->proto, PRIO_ORDERED);
		o->ordered = 1;
		scan_snapshot_locked(ps, o);
		ps->norder = 0;
		ps->reordered = 1;
		scan_push_locked(s, o);
	}
}

static void *scan_worker(void *arg)
{
	scan_t *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->queue == NULL && s->running > 0)
			pthread_cond_wait(&s->work, &s->lock);
		if (s->queue == NULL)
			break;		/* nothing queued and nothing running: done */
		task_t *t = s->queue;
		s->queue = t->next;
		s->running++;
		pthread_mutex_unlock(&s->lock);
		int again = task_run(s, t);
		pthread_mutex_lock(&s->lock);
		if (again && clock_ms() < s->deadline) {
			enqueue_locked(s, t);
		} else {
			task_end_locked(s, t);
			free(t);
		}
		s->running--;
		pthread_cond_broadcast(&s->work);
	}
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* sort_by_offer - a client-order protocol's suites in the order of our
 * lists (main, then rest), so that reports do not depend on timing. */
static void sort_by_offer(const proto_state_t *ps, tls_scan_proto_t *out)
{
	out->nsuites = 0;
	for (size_t pass = 0; pass < 2; pass++) {
		const uint32_t *l = pass ? ps->rest : ps->main_list;
		size_t n = pass ? ps->nrest : ps->nmain;
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < ps->nfound; k++)
				if (ps->found[k] == l[i])
					out->suites[out->nsuites++] = l[i];
	}
	/* anything found that is on neither list (SSLv2) keeps its place */
	for (size_t k = 0; k < ps->nfound && ps->version == CH_SSL2; k++)
		out->suites[out->nsuites++] = ps->found[k];
}

static void facts_of(const scan_t *s, tls_scan_facts_t *f)
{
	for (int k = 0; k < TLS_SCAN_NPROTO; k++) {
		const proto_state_t *ps = &s->proto[k];
		tls_scan_proto_t *out = &f->proto[k];
		out->version = ps->version;
		out->supported = ps->nfound > 0;
		out->have_first = ps->have_first;
		out->first = ps->first;
		out->server_order = ps->nfound < 2 ? -1 : ps->server_order;
		if (out->server_order == 1 && ps->norder == ps->nfound) {
			memcpy(out->suites, ps->order, ps->norder * sizeof(*ps->order));
			out->nsuites = ps->norder;
		} else {
			if (out->server_order == 1)
				out->server_order = -1;	/* the order walk was cut short */
			sort_by_offer(ps, out);
		}
	}
}

json_t *tls_scan_run(const tls_scan_link_t *link, const char *sni, const char *subject,
		     int parallel, long long hello_timeout_ms, long long deadline)
{
	scan_t *s = calloc(1, sizeof(*s));
	tls_scan_facts_t *f = calloc(1, sizeof(*f));
	long long t0 = clock_ms();
	pthread_t th[TLS_SCAN_MAX_PARALLEL];
	int nth = 0;

	if (s == NULL || f == NULL)
		log_panic("tls_scan_run: out of memory");
	s->link = link;
	s->sni = sni;
	s->hello_timeout_ms = hello_timeout_ms;
	s->parallel = parallel < 1 ? 1 : parallel > TLS_SCAN_MAX_PARALLEL ? TLS_SCAN_MAX_PARALLEL :
		      parallel;
	s->deadline = deadline;
	s->errors = json_array();
	s->facts = f;
	f->fallback_scsv = -1;
	f->heartbleed = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	for (int k = 0; k < TLS_SCAN_NPROTO; k++) {
		s->proto[k].version = proto_versions[k];
		s->proto[k].server_order = -1;
		scan_suite_lists(&s->proto[k]);
	}
	/* TLS 1.2 first, alone until its connection reaches the TLS stage;
	 * then the others (TLS 1.3 first: most servers speak both). */
	static const int held_order[TLS_SCAN_NPROTO - 1] = { P_TLS13, P_TLS11, P_TLS10, P_SSL3, P_SSL2 };
	task_t **tail = &s->held;
	for (int k = 0; k < TLS_SCAN_NPROTO + 1; k++) {
		/* Both ends of the main list at once for the two versions
		 * nearly every server speaks: one round trip less. */
		task_t *t = k == TLS_SCAN_NPROTO - 1 ? scan_task_new(T_REVERSE, P_TLS12, PRIO_REVERSE) :
			    k == TLS_SCAN_NPROTO ? scan_task_new(T_REVERSE, P_TLS13, PRIO_REVERSE) :
			    scan_task_new(T_FIRST, held_order[k], held_order[k] == P_TLS13 ?
				     PRIO_FIRST_MAIN + 1 : PRIO_FIRST_OTHER);
		if (t->kind == T_REVERSE)
			s->proto[t->proto].rev_queued = 1;
		*tail = t;
		tail = &t->next;
	}
	pthread_mutex_lock(&s->lock);
	scan_push_locked(s, scan_task_new(T_FIRST, P_TLS12, PRIO_FIRST_MAIN));
	pthread_mutex_unlock(&s->lock);
	for (int k = 0; k < s->parallel; k++)
		if (pthread_create(&th[nth], NULL, scan_worker, s) == 0)
			nth++;
	if (nth == 0)
		scan_worker(s);
	for (int k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	while (s->held != NULL) {	/* the gate never opened */
		task_t *t = s->held;
		s->held = t->next;
		free(t);
	}
	facts_of(s, f);
	f->handshakes = s->handshakes;
	f->refused = s->refused;
	f->duration_ms = clock_ms() - t0;
	f->errors = s->errors;
	json_t *o = tls_scan_result(f, subject);
	json_decref(s->errors);
	pthread_cond_destroy(&s->work);
	pthread_mutex_destroy(&s->lock);
	free(f);
	free(s);
	return o;
}
