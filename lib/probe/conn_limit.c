/*
 * conn_limit.c - connection slots per MX address (see conn_limit.h).
 *
 * In memory: a small table of address -> open count under one mutex, and
 * a condition variable to wait on. Shared: store_slot_take in Redis,
 * polled every 50 ms while all slots are taken (share.h). A Redis failure
 * does not stop a probe: the in-memory limit still holds, and the failure
 * is logged once per minute.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "probe/conn_limit.h"
#include "probe/share.h"

#define TABLE_MAX 256		/* addresses probed at once by one process */

typedef struct entry {
	char key[NETADDR_STRLEN + 8];
	int open;
} entry_t;

struct conn_slot {
	entry_t *entry;
	char holder[96];	/* the shared slot's holder id; "" when not shared */
	char key[NETADDR_STRLEN + 8];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static entry_t table[TABLE_MAX];
static unsigned long holders;		/* under the share lock */

/* until - a timespec for pthread_cond_timedwait: at most 50 ms from now,
 * never past the deadline. */
static struct timespec until(long long deadline_ms)
{
	long long wait = 50;
	if (deadline_ms > 0 && deadline_ms - clock_ms() < wait)
		wait = deadline_ms - clock_ms() > 0 ? deadline_ms - clock_ms() : 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (wait % 1000) * 1000000L;
	ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

/* take_local - an in-memory slot for key; NULL at the deadline. */
static entry_t *take_local(const char *key, int max, long long deadline_ms)
{
	pthread_mutex_lock(&lock);
	for (;;) {
		entry_t *e = NULL, *free_e = NULL;
		for (size_t i = 0; i < TABLE_MAX && e == NULL; i++) {
			if (table[i].open > 0 && strcmp(table[i].key, key) == 0)
				e = &table[i];
			else if (table[i].open == 0 && free_e == NULL)
				free_e = &table[i];
		}
		if (e == NULL && free_e != NULL) {
			e = free_e;
			snprintf(e->key, sizeof(e->key), "%s", key);
		}
		if (e != NULL && e->open < max) {
			e->open++;
			pthread_mutex_unlock(&lock);
			return e;
		}
		if (deadline_ms > 0 && clock_ms() >= deadline_ms)
			break;
		struct timespec ts = until(deadline_ms);
		pthread_cond_timedwait(&freed, &lock, &ts);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void give_local(entry_t *e)
{
	pthread_mutex_lock(&lock);
	e->open--;
	pthread_cond_broadcast(&freed);
	pthread_mutex_unlock(&lock);
}

/* take_shared - the Redis slot: 1 taken, 0 deadline, -1 not shared or
 * Redis failed (the in-memory limit then stands alone). */
static int take_shared(const char *key, int max, long long hold_ms, long long deadline_ms,
		       char *holder, size_t holderlen)
{
	for (;;) {
		store_t *st = probe_share_begin();
		if (st == NULL)
			return -1;
		snprintf(holder, holderlen, "%ld-%lu", (long)getpid(), ++holders);
		int rc = store_slot_take(st, key, holder, max, hold_ms);
		if (rc < 0)
			probe_share_complain(st, "connection slots");
		probe_share_end();
		if (rc != 0)
			return rc;
		if (deadline_ms > 0 && clock_ms() >= deadline_ms)
			return 0;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int conn_limit_take(const netaddr_t *addr, int port, int max, long long hold_ms,
		    long long deadline_ms, conn_slot_t **slot, char *err, size_t errlen)
{
	*slot = NULL;
	if (max <= 0)
		return 0;
	conn_slot_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		log_panic("conn_limit_take: out of memory");
	char ip[NETADDR_STRLEN];
	netaddr_format(addr, ip, sizeof(ip));
	snprintf(s->key, sizeof(s->key), "%s:%d", ip, port);
	s->entry = take_local(s->key, max, deadline_ms);
	if (s->entry == NULL) {
		snprintf(err, errlen, "%d connections to %s already open until the deadline", max, s->key);
		free(s);
		return -1;
	}
	int rc = take_shared(s->key, max, hold_ms, deadline_ms, s->holder, sizeof(s->holder));
	if (rc == 0) {
		snprintf(err, errlen, "%d connections to %s held by other mxray processes until the "
			 "deadline", max, s->key);
		give_local(s->entry);
		free(s);
		return -1;
	}
	if (rc < 0)
		s->holder[0] = '\0';
	*slot = s;
	return 0;
}

void conn_limit_give(conn_slot_t *s)
{
	if (s == NULL)
		return;
	store_t *st = s->holder[0] ? probe_share_begin() : NULL;
	if (st != NULL) {
		if (store_slot_give(st, s->key, s->holder) != 0)
			probe_share_complain(st, "connection slots (one expires unreturned)");
		probe_share_end();
	}
	give_local(s->entry);
	free(s);
}
