/*
 * test_probe_limits.c - DESIGN.md hard rule 2: a greeting delay, a 554
 * greeting or the job deadline make an address "not_tested" with the
 * reason (never "no STARTTLS"), within the configured time; a refused
 * connection is "failed". mxray's own limits (busy connection slots, the
 * job deadline) are "not_tested" with "mxray_limit", never "failed", and
 * such a result is not reused by the next job.
 */
#include <string.h>

#include "harness.h"
#include "smtp_server.h"
#include "probe_fixture.h"
#include "base/clock.h"
#include "base/log.h"
#include "probe/addr_cache.h"
#include "probe/conn_limit.h"
#include "probe/smtp_probe.h"

/* probe_port_cached - probe 127.0.0.1:port, then offer the result to the
 * address cache ([probe] reuse_results on) and say whether the next job
 * would reuse it (*reused), when reused is not NULL. */
static json_t *probe_port_cached(int port, const char *extra, long long job_deadline, int *reused)
{
	mxray_config_t cfg;
	netaddr_t a;
	if (fixture_config(&cfg, port, "/etc/ssl/certs/ca-certificates.crt", "127.0.0.1/32",
			   extra) != 0)
		return NULL;
	netaddr_parse("127.0.0.1", &a);
	json_t *j = smtp_probe_address(&cfg, NULL, "mx.probe.test", &a, job_deadline, NULL);
	if (reused != NULL) {
		addr_cache_clear();
		cfg.reuse_results_ms = 60000;
		addr_cache_put(&cfg, "mx.probe.test", &a, j);
		json_t *again = addr_cache_get(&cfg, "mx.probe.test", &a);
		*reused = again != NULL;
		json_decref(again);
		addr_cache_clear();
	}
	config_free(&cfg);
	return j;
}

static json_t *probe_port(int port, const char *extra, long long job_deadline)
{
	return probe_port_cached(port, extra, job_deadline, NULL);
}

static int has(const char *s, const char *sub)
{
	return s != NULL && strstr(s, sub) != NULL;
}

TEST(greeting_delay_is_not_tested_within_timeout)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_GREETING_DELAY) == 0);
	long long t0 = clock_ms();
	json_t *j = probe_port(ts.port, "greeting_timeout = 300ms\n", clock_ms() + 20000);
	long long took = clock_ms() - t0;
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_INT(ts.accepted, 1);
	CHECK_STR(jstr(j, "state"), "not_tested");
	CHECK(has(jstr(j, "reason"), "greeting timeout"));
	CHECK(has(jstr(j, "reason"), "300 ms"));
	CHECK(json_is_null(json_object_get(j, "starttls")));
	CHECK(json_is_null(json_object_get(j, "greeting")));
	CHECK(took >= 290 && took < 300 + 250);
	printf("# greeting timeout 300 ms: probe returned after %lld ms\n", took);
	json_decref(j);
}

TEST(job_deadline_cuts_a_long_greeting_timeout)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_GREETING_DELAY) == 0);
	long long t0 = clock_ms();
	json_t *j = probe_port(ts.port, "greeting_timeout = 30s\n", clock_ms() + 400);
	long long took = clock_ms() - t0;
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_STR(jstr(j, "state"), "not_tested");
	CHECK(has(jstr(j, "reason"), "job deadline"));
	CHECK_STR(jstr(j, "mxray_limit"), "job deadline");
	CHECK(took >= 390 && took < 400 + 250);
	json_decref(j);
}

/* Every slot of the address is ours already (another job's sessions): the
 * probe waits for one until the job deadline, then says why, without
 * connecting, and the next job tries again instead of reusing that. */
TEST(busy_connection_slots_are_not_tested_and_not_reused)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_NORMAL) == 0);
	netaddr_t a;
	netaddr_parse("127.0.0.1", &a);
	conn_slot_t *held = NULL;
	char err[256];
	CHECK(conn_limit_take(&a, ts.port, 1, 10000, clock_ms() + 1000, &held, err, sizeof(err)) == 0);
	int reused = -1;
	long long t0 = clock_ms();
	json_t *j = probe_port_cached(ts.port, "connections_per_address = 1\n", clock_ms() + 300,
				      &reused);
	long long took = clock_ms() - t0;
	conn_limit_give(held);
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_INT(ts.accepted, 0);
	CHECK_STR(jstr(j, "state"), "not_tested");
	CHECK_STR(jstr(j, "mxray_limit"), "connection slots");
	CHECK(has(jstr(j, "reason"), "mxray's own limit"));
	CHECK(has(jstr(j, "reason"), "connections_per_address = 1"));
	CHECK(json_is_null(json_object_get(j, "starttls")));
	CHECK_INT(reused, 0);
	CHECK(took >= 290 && took < 300 + 250);
	json_decref(j);
}

/* A 554 greeting is the server's answer, kept for the next job. */
TEST(a_server_refusal_is_reused)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_GREETING_554) == 0);
	int reused = -1;
	json_t *j = probe_port_cached(ts.port, NULL, clock_ms() + 20000, &reused);
	ts_stop(&ts);
	CHECK(j != NULL);
	CHECK_STR(jstr(j, "state"), "not_tested");
	CHECK(json_is_null(json_object_get(j, "mxray_limit")));
	CHECK_INT(reused, 1);
	json_decref(j);
}

TEST(greeting_554_is_not_tested_and_we_quit)
{
	test_server_t ts;
	CHECK(ts_start(&ts, TS_GREETING_554) == 0);
	json_t *j = probe_port(ts.port, NULL, clock_ms() + 20000);
	ts_stop(&ts);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_STR(jstr(j, "state"), "not_tested");
	CHECK(has(jstr(j, "reason"), "554 mx.probe.test no service"));
	CHECK_STR(jstr(j, "greeting"), "554 mx.probe.test no service for you");
	CHECK(json_is_null(json_object_get(j, "starttls")));
	CHECK_INT(ts.ncmds, 1);
	CHECK_STR(ts.cmds[0], "QUIT");
	json_decref(j);
}

TEST(connection_refused_is_failed)
{
	int port;
	int fd = ts_listen("127.0.0.1", &port);
	close(fd);		/* nothing listens there now */
	json_t *j = probe_port(port, NULL, clock_ms() + 20000);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	CHECK_STR(jstr(j, "state"), "failed");
	CHECK(has(jstr(j, "reason"), "Connection refused"));
	json_decref(j);
}

int main(void)
{
	log_init("test_probe_limits", LOG_DEST_STDERR, 0);
	RUN(greeting_delay_is_not_tested_within_timeout);
	RUN(job_deadline_cuts_a_long_greeting_timeout);
	RUN(busy_connection_slots_are_not_tested_and_not_reused);
	RUN(a_server_refusal_is_reused);
	RUN(greeting_554_is_not_tested_and_we_quit);
	RUN(connection_refused_is_failed);
	return harness_done();
}
