/*
 * test_conn_limit.c - connection slots per MX address (hard rule 2: hold
 * back) within one process and across processes through a real Redis,
 * and address results reused by another worker through the same Redis.
 */
#include <pthread.h>
#include <stdlib.h>
#include "harness.h"
#include "fixture_redis.h"
#include "base/clock.h"
#include "mail/config.h"
#include "mail/store.h"
#include "probe/addr_cache.h"
#include "probe/conn_limit.h"
#include "probe/share.h"

static fixture_redis_t fx;
static mxray_config_t cfg;

static netaddr_t addr_of(const char *ip)
{
	netaddr_t a;
	netaddr_parse(ip, &a);
	return a;
}

TEST(in_process_slots_hold_back)
{
	netaddr_t a = addr_of("192.0.2.1"), b = addr_of("192.0.2.2");
	conn_slot_t *s1, *s2, *s3, *other;
	char err[256];
	CHECK_INT(conn_limit_take(&a, 25, 2, 60000, clock_ms() + 1000, &s1, err, sizeof(err)), 0);
	CHECK_INT(conn_limit_take(&a, 25, 2, 60000, clock_ms() + 1000, &s2, err, sizeof(err)), 0);
	/* a third waits until its deadline, then gives up with a reason */
	long long t0 = clock_ms();
	CHECK_INT(conn_limit_take(&a, 25, 2, 60000, clock_ms() + 200, &s3, err, sizeof(err)), -1);
	CHECK(clock_ms() - t0 >= 190);
	CHECK(strstr(err, "2 connections to 192.0.2.1:25 already open") != NULL);
	/* another address, or another port, is not held back */
	CHECK_INT(conn_limit_take(&b, 25, 2, 60000, clock_ms() + 100, &other, err, sizeof(err)), 0);
	conn_limit_give(other);
	CHECK_INT(conn_limit_take(&a, 26, 2, 60000, clock_ms() + 100, &other, err, sizeof(err)), 0);
	conn_limit_give(other);
	/* a slot given back is taken at once */
	conn_limit_give(s1);
	CHECK_INT(conn_limit_take(&a, 25, 2, 60000, clock_ms() + 100, &s3, err, sizeof(err)), 0);
	conn_limit_give(s2);
	conn_limit_give(s3);
	/* no limit: no slot */
	CHECK_INT(conn_limit_take(&a, 25, 0, 60000, 0, &s1, err, sizeof(err)), 0);
	CHECK(s1 == NULL);
}

typedef struct waiter {
	netaddr_t addr;
	int rc;
	long long waited;
} waiter_t;

static void *wait_for_slot(void *arg)
{
	waiter_t *w = arg;
	conn_slot_t *s;
	char err[256];
	long long t0 = clock_ms();
	w->rc = conn_limit_take(&w->addr, 25, 1, 60000, clock_ms() + 3000, &s, err, sizeof(err));
	w->waited = clock_ms() - t0;
	conn_limit_give(s);
	return NULL;
}

TEST(a_waiting_thread_gets_the_freed_slot)
{
	waiter_t w = { addr_of("192.0.2.3"), -2, 0 };
	conn_slot_t *s;
	char err[256];
	CHECK_INT(conn_limit_take(&w.addr, 25, 1, 60000, 0, &s, err, sizeof(err)), 0);
	pthread_t t;
	pthread_create(&t, NULL, wait_for_slot, &w);
	struct timespec ts = { 0, 300 * 1000000L };
	nanosleep(&ts, NULL);
	conn_limit_give(s);
	pthread_join(t, NULL);
	CHECK_INT(w.rc, 0);
	CHECK(w.waited >= 250 && w.waited < 2000);
}

TEST(slots_are_shared_across_processes)
{
	char err[256];
	store_t *other = store_connect(&cfg, 2000, err, sizeof(err));	/* another worker */
	CHECK(other != NULL);
	probe_share(&cfg);	/* this process: a connection of the share module's own */
	/* the other worker holds both slots of 192.0.2.4:25 */
	CHECK_INT(store_slot_take(other, "192.0.2.4:25", "w2-1", 2, 60000), 1);
	CHECK_INT(store_slot_take(other, "192.0.2.4:25", "w2-2", 2, 60000), 1);
	CHECK_INT(store_slot_take(other, "192.0.2.4:25", "w2-3", 2, 60000), 0);
	netaddr_t a = addr_of("192.0.2.4");
	conn_slot_t *s;
	CHECK_INT(conn_limit_take(&a, 25, 2, 60000, clock_ms() + 300, &s, err, sizeof(err)), -1);
	CHECK(strstr(err, "held by other mxray processes") != NULL);
	/* it gives one back: ours now */
	CHECK_INT(store_slot_give(other, "192.0.2.4:25", "w2-1"), 0);
	CHECK_INT(conn_limit_take(&a, 25, 2, 60000, clock_ms() + 300, &s, err, sizeof(err)), 0);
	CHECK_INT(store_slot_take(other, "192.0.2.4:25", "w2-4", 2, 60000), 0);	/* full again */
	conn_limit_give(s);
	CHECK_INT(store_slot_take(other, "192.0.2.4:25", "w2-4", 2, 60000), 1);
	/* a holder that died frees its slot after the hold time */
	CHECK_INT(store_slot_take(other, "192.0.2.5:25", "dead", 1, 300), 1);
	CHECK_INT(store_slot_take(other, "192.0.2.5:25", "alive", 1, 300), 0);
	struct timespec ts = { 0, 400 * 1000000L };
	nanosleep(&ts, NULL);
	CHECK_INT(store_slot_take(other, "192.0.2.5:25", "alive", 1, 300), 1);
	probe_share(NULL);
	store_free(other);
}

TEST(results_are_reused_by_another_worker)
{
	probe_share(&cfg);
	netaddr_t a = addr_of("192.0.2.6");
	json_t *fresh = json_pack("{ss ss}", "ip", "192.0.2.6", "state", "tested");
	addr_cache_put(&cfg, "mx.example.org", &a, fresh);
	/* another worker: nothing in its memory, the result from Redis */
	addr_cache_clear();
	json_t *got = addr_cache_get(&cfg, "mx.example.org", &a);
	CHECK_STR(json_string_value(json_object_get(got, "state")), "tested");
	CHECK(json_is_integer(json_object_get(got, "reused_age_ms")));
	CHECK(json_integer_value(json_object_get(got, "reused_age_ms")) < 5000);
	json_decref(got);
	/* the result belongs to the MX name too (SNI, name match) */
	CHECK(addr_cache_get(&cfg, "other.example.org", &a) == NULL);
	/* without sharing, the other worker probes afresh */
	addr_cache_clear();
	probe_share(NULL);
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a) == NULL);
	json_decref(fresh);
}

int main(void)
{
	char err[256], text[256];
	if (fixture_redis_start(&fx) != 0) {
		printf("not ok - redis_fixture\n");
		return 1;
	}
	snprintf(text, sizeof(text), "[redis]\naddress = %s\n[probe]\nreuse_results = 1m\n", fx.socket);
	if (config_load_string(text, &cfg, err, sizeof(err)) != 0) {
		printf("not ok - config: %s\n", err);
		fixture_redis_stop(&fx);
		return 1;
	}
	RUN(in_process_slots_hold_back);
	RUN(a_waiting_thread_gets_the_freed_slot);
	RUN(slots_are_shared_across_processes);
	RUN(results_are_reused_by_another_worker);
	config_free(&cfg);
	fixture_redis_stop(&fx);
	return harness_done();
}
