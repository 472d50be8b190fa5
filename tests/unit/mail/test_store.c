/*
 * test_store.c - the Redis records against a real redis-server: jobs and
 * reports go through consumer groups, malformed entries come back flagged,
 * results expire, the reply marker is set once, one reporter at a time
 * may claim a token's reply, queue figures add up.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "fixture_redis.h"
#include "mail/config.h"
#include "mail/record.h"
#include "mail/store.h"

static fixture_redis_t fx;
static mxray_config_t cfg;

static store_t *connect_store(void)
{
	char err[256];
	store_t *s = store_connect(&cfg, 2000, err, sizeof(err));
	if (s == NULL)
		printf("#   %s\n", err);
	return s;
}

/* raw - run a raw command on a second connection (to forge entries). */
static void raw(const char *cmd)
{
	char line[512];
	snprintf(line, sizeof(line), "redis-cli -s %s %s >/dev/null", fx.socket, cmd);
	if (system(line) != 0)
		printf("#   %s failed\n", line);
}

TEST(job_round_trip_through_consumer_group)
{
	store_t *s = connect_store();
	CHECK(s != NULL);
	if (!s)
		return;
	json_t *job = json_pack("{si ss ss}", "format", JOB_FORMAT, "kind", "mail", "domain",
				"sender.test");
	CHECK_INT(store_job_add(s, job), 0);
	json_decref(job);

	store_entry_t e;
	CHECK_INT(store_read(s, STORE_STREAM_JOBS, "w1", 100, &e), 1);
	CHECK(e.problem == NULL);
	CHECK_STR(json_string_value(json_object_get(e.job, "domain")), "sender.test");
	store_queue_info_t q;
	CHECK_INT(store_queue_info(s, STORE_STREAM_JOBS, &q), 0);
	CHECK_INT(q.length, 1);
	CHECK_INT(q.pending, 1);
	CHECK_INT(q.lag, 0);
	CHECK_INT(q.consumers, 1);
	CHECK_INT(store_ack(s, STORE_STREAM_JOBS, e.id), 0);
	store_entry_clear(&e);
	CHECK_INT(store_queue_info(s, STORE_STREAM_JOBS, &q), 0);
	CHECK_INT(q.pending, 0);

	/* Nothing left: a short block returns 0. */
	CHECK_INT(store_read(s, STORE_STREAM_JOBS, "w1", 50, &e), 0);
	store_free(s);
}

TEST(jobs_queued_before_any_worker_are_delivered)
{
	/* The group is created from the start of the stream, not from "$". */
	raw("XADD mxray:reports '*' v 1 token early-token");
	store_t *s = connect_store();
	if (!s)
		return;
	store_entry_t e;
	CHECK_INT(store_read(s, STORE_STREAM_REPORTS, "r1", 100, &e), 1);
	CHECK_STR(e.token, "early-token");
	store_ack(s, STORE_STREAM_REPORTS, e.id);
	store_entry_clear(&e);
	store_free(s);
}

TEST(malformed_entries_are_flagged_not_dropped)
{
	static const struct { const char *fields; const char *problem_has; } cases[] = {
		{ "v 2 job '{}'", "version \"2\" is not 1" },
		{ "job '{}'", "version \"(none)\"" },
		{ "v 1 job '{not json'", "not valid JSON" },
		{ "v 1 other x", "no \"job\" field" },
	};
	store_t *s = connect_store();
	if (!s)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[256];
		snprintf(cmd, sizeof(cmd), "XADD mxray:jobs '*' %s", cases[i].fields);
		raw(cmd);
		store_entry_t e;
		CHECK_INT(store_read(s, STORE_STREAM_JOBS, "w1", 100, &e), 1);
		CHECK(e.id[0] != '\0');
		CHECK(e.job == NULL);
		if (e.problem == NULL || strstr(e.problem, cases[i].problem_has) == NULL)
			printf("#   case %zu: problem \"%s\"\n", i, e.problem ? e.problem : "(none)");
		CHECK(e.problem != NULL && strstr(e.problem, cases[i].problem_has) != NULL);
		store_ack(s, STORE_STREAM_JOBS, e.id);
		store_entry_clear(&e);
	}
	store_free(s);
}

TEST(results_expire_and_reply_marker_is_set_once)
{
	store_t *s = connect_store();
	if (!s)
		return;
	json_t *r = json_pack("{si ss}", "format", REPORT_FORMAT, "domain", "sender.test");
	CHECK_INT(store_result_put(s, "tok1", r, 300), 0);
	json_decref(r);
	char *text = NULL;
	CHECK_INT(store_result_get(s, "tok1", &text), 1);
	CHECK(text && strstr(text, "\"domain\":\"sender.test\"") != NULL);
	free(text);
	CHECK_INT(store_mark_replied(s, "tok1", 10000), 1);
	CHECK_INT(store_mark_replied(s, "tok1", 10000), 0);
	usleep(450000);
	CHECK_INT(store_result_get(s, "tok1", &text), 0);
	CHECK(text == NULL);
	CHECK_INT(store_result_get(s, "never-stored", &text), 0);
	store_free(s);
}

TEST(one_reporter_at_a_time_may_mail_a_token)
{
	store_t *a = connect_store(), *b = connect_store();
	if (!a || !b) {
		store_free(a);
		store_free(b);
		return;
	}
	char other[128] = "";
	CHECK_INT(store_claim_reply(a, "tokc", "rep-a 1-0", 10000, other, sizeof(other)), 1);
	/* A second reporter, for this entry or a duplicate of it: refused, told who. */
	CHECK_INT(store_claim_reply(b, "tokc", "rep-b 2-0", 10000, other, sizeof(other)), 0);
	CHECK_STR(other, "rep-a 1-0");
	/* The holder may claim again (a retry of its own entry). */
	CHECK_INT(store_claim_reply(a, "tokc", "rep-a 1-0", 10000, other, sizeof(other)), 1);
	/* Only the holder's release frees it; then the other one gets it. */
	CHECK_INT(store_release_reply(b, "tokc", "rep-b 2-0"), 0);
	CHECK_INT(store_claim_reply(b, "tokc", "rep-b 2-0", 10000, other, sizeof(other)), 0);
	CHECK_INT(store_release_reply(a, "tokc", "rep-a 1-0"), 0);
	CHECK_INT(store_claim_reply(b, "tokc", "rep-b 2-0", 10000, other, sizeof(other)), 1);
	/* A dead holder's claim runs out. */
	CHECK_INT(store_claim_reply(a, "tokd", "rep-a 3-0", 150, other, sizeof(other)), 1);
	CHECK_INT(store_claim_reply(b, "tokd", "rep-b 4-0", 10000, other, sizeof(other)), 0);
	usleep(250000);
	CHECK_INT(store_claim_reply(b, "tokd", "rep-b 4-0", 10000, other, sizeof(other)), 1);
	store_free(a);
	store_free(b);
}

TEST(a_dead_consumers_job_is_taken_over_then_dead_lettered)
{
	store_t *s = connect_store();
	if (!s)
		return;
	json_t *job = json_pack("{si ss ss}", "format", JOB_FORMAT, "kind", "mail", "domain",
				"stale.test");
	CHECK_INT(store_job_add(s, job), 0);
	json_decref(job);
	store_entry_t e;
	CHECK_INT(store_read(s, STORE_STREAM_JOBS, "dies", 100, &e), 1);
	CHECK_INT(e.deliveries, 1);
	char id[64];
	snprintf(id, sizeof(id), "%s", e.id);
	store_entry_clear(&e);	/* "dies" never acknowledges */

	/* Not idle long enough yet: nothing to take over. */
	CHECK_INT(store_claim_stale(s, STORE_STREAM_JOBS, "heir", 60000, &e), 0);
	usleep(120000);
	CHECK_INT(store_claim_stale(s, STORE_STREAM_JOBS, "heir", 100, &e), 1);
	CHECK_STR(e.id, id);
	CHECK_STR(json_string_value(json_object_get(e.job, "domain")), "stale.test");
	CHECK_INT(e.deliveries, 2);
	store_entry_clear(&e);
	usleep(120000);
	CHECK_INT(store_claim_stale(s, STORE_STREAM_JOBS, "heir2", 100, &e), 1);
	CHECK_INT(e.deliveries, 3);

	store_queue_info_t q;
	CHECK_INT(store_queue_info(s, STORE_STREAM_JOBS, &q), 0);
	long long dead_before = q.dead, pending_before = q.pending;
	CHECK_INT(store_dead_letter(s, STORE_STREAM_JOBS, &e, "too many deliveries"), 0);
	store_entry_clear(&e);
	CHECK_INT(store_queue_info(s, STORE_STREAM_JOBS, &q), 0);
	CHECK_INT(q.dead, dead_before + 1);
	CHECK_INT(q.pending, pending_before - 1);
	/* The dead letter keeps the job, so an operator can replay it. */
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "redis-cli -s %s XRANGE mxray:dead - + | grep -c stale.test", fx.socket);
	FILE *p = popen(cmd, "r");
	int n = 0;
	CHECK(p != NULL && fscanf(p, "%d", &n) == 1 && n == 1);
	if (p)
		pclose(p);
	store_free(s);
}

TEST(a_failed_delivery_count_is_an_error_not_a_first_delivery)
{
	/* XPENDING refused (an ACL here; a failover or a timeout in life):
	 * the takeover fails instead of counting the entry as new, and the
	 * entry, still pending, is counted right at the next takeover. */
	store_t *s = connect_store();
	if (!s)
		return;
	json_t *job = json_pack("{si ss ss}", "format", JOB_FORMAT, "kind", "mail", "domain",
				"count.test");
	CHECK_INT(store_job_add(s, job), 0);
	json_decref(job);
	store_entry_t e;
	CHECK_INT(store_read(s, STORE_STREAM_JOBS, "first", 100, &e), 1);
	char id[64];
	snprintf(id, sizeof(id), "%s", e.id);
	store_entry_clear(&e);
	usleep(120000);
	raw("ACL SETUSER default -xpending");
	CHECK_INT(store_claim_stale(s, STORE_STREAM_JOBS, "heir", 100, &e), -1);
	CHECK(strstr(store_last_error(s), "XPENDING") != NULL);
	raw("ACL SETUSER default +@all");
	store_free(s);
	if ((s = connect_store()) == NULL)
		return;
	usleep(120000);
	CHECK_INT(store_claim_stale(s, STORE_STREAM_JOBS, "heir", 100, &e), 1);
	CHECK_STR(e.id, id);
	CHECK_INT(e.deliveries, 3);	/* read, failed takeover, this one */
	CHECK_INT(store_ack(s, STORE_STREAM_JOBS, e.id), 0);
	store_entry_clear(&e);
	store_free(s);
}

TEST(a_job_keeps_its_first_token)
{
	store_t *s = connect_store();
	if (!s)
		return;
	char first[64] = "tokenAAAA", again[64] = "tokenBBBB";
	CHECK_INT(store_job_token(s, "1-1", first, sizeof(first), 10000), 0);
	CHECK_STR(first, "tokenAAAA");
	CHECK_INT(store_job_token(s, "1-1", again, sizeof(again), 10000), 0);
	CHECK_STR(again, "tokenAAAA");	/* redelivery reuses it: one report */
	CHECK_INT(store_replied_exists(s, "tokenAAAA"), 0);
	CHECK_INT(store_mark_replied(s, "tokenAAAA", 10000), 1);
	CHECK_INT(store_replied_exists(s, "tokenAAAA"), 1);
	store_free(s);
}

TEST(unreachable_redis_is_an_error_with_advice)
{
	mxray_config_t other;
	char err[256];
	CHECK_INT(config_load_string("[redis]\naddress = /nonexistent/redis.sock\n", &other, err,
				     sizeof(err)), 0);
	store_t *s = store_connect(&other, 500, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "/nonexistent/redis.sock") != NULL);
	CHECK(strstr(err, "is redis-server running") != NULL);
	config_free(&other);
}

TEST(a_report_entry_names_the_job_it_answers)
{
	store_t *s = connect_store();
	if (!s)
		return;
	CHECK_INT(store_report_add(s, "tok-a", "1700000000123-4"), 0);
	CHECK_INT(store_report_add(s, "tok-b", NULL), 0);
	store_entry_t e;
	CHECK_INT(store_read(s, STORE_STREAM_REPORTS, "r2", 100, &e), 1);
	CHECK_STR(e.token, "tok-a");
	CHECK_STR(e.job_id, "1700000000123-4");
	CHECK(store_id_ms(e.job_id) == 1700000000123LL);
	store_ack(s, STORE_STREAM_REPORTS, e.id);
	store_entry_clear(&e);
	CHECK_INT(store_read(s, STORE_STREAM_REPORTS, "r2", 100, &e), 1);
	CHECK_STR(e.token, "tok-b");
	CHECK(e.job_id == NULL);
	store_ack(s, STORE_STREAM_REPORTS, e.id);
	store_entry_clear(&e);
	CHECK(store_id_ms("nonsense") == -1);
	CHECK(store_id_ms("-5-0") == -1);
	CHECK(store_id_ms(NULL) == -1);
	store_free(s);
}

TEST(latency_histogram_buckets_are_cumulative)
{
	store_t *s = connect_store();
	if (!s)
		return;
	store_histogram_t h;
	CHECK_INT(store_histogram(s, "never", &h), 0);
	CHECK(h.count == 0 && h.sum_ms == 0 && h.bucket[STORE_HIST_BUCKETS - 1] == 0);
	/* 50 ms and 100 ms fall in the first bucket (le 0.1 s), 700 ms in le 1 s,
	 * 10 minutes above every bound: only count and sum see it. */
	static const long long seen[] = { 50, 100, 700, 600000 };
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++)
		CHECK_INT(store_observe(s, "t_ms", seen[i]), 0);
	CHECK_INT(store_histogram(s, "t_ms", &h), 0);
	CHECK(h.count == 4);
	CHECK(h.sum_ms == 50 + 100 + 700 + 600000);
	CHECK(store_hist_bounds_ms[0] == 100 && h.bucket[0] == 2);
	CHECK(store_hist_bounds_ms[2] == 500 && h.bucket[2] == 2);
	CHECK(store_hist_bounds_ms[3] == 1000 && h.bucket[3] == 3);
	CHECK(h.bucket[STORE_HIST_BUCKETS - 1] == 3);
	store_free(s);
}

TEST(rate_counters_count_within_their_window)
{
	store_t *s = connect_store();
	if (!s)
		return;
	long long n = 0;
	for (int i = 1; i <= 3; i++) {
		CHECK_INT(store_rate_count(s, "sender", "a@sender.test", 60000, &n), 0);
		CHECK(n == i);
	}
	CHECK_INT(store_rate_count(s, "sender", "b@sender.test", 60000, &n), 0);
	CHECK(n == 1);
	/* The window starts with the first test and is not extended by later
	 * ones; once it ends the count starts again. */
	CHECK_INT(store_rate_count(s, "domain", "short.test", 150, &n), 0);
	CHECK_INT(store_rate_count(s, "domain", "short.test", 60000, &n), 0);
	CHECK(n == 2);
	usleep(300 * 1000);
	CHECK_INT(store_rate_count(s, "domain", "short.test", 150, &n), 0);
	CHECK(n == 1);
	store_free(s);
}

int main(void)
{
	char err[256], text[256];
	if (fixture_redis_start(&fx) != 0) {
		printf("not ok - redis_fixture\n");
		return 1;
	}
	snprintf(text, sizeof(text), "[redis]\naddress = %s\n", fx.socket);
	if (config_load_string(text, &cfg, err, sizeof(err)) != 0) {
		printf("not ok - config: %s\n", err);
		fixture_redis_stop(&fx);
		return 1;
	}
	RUN(job_round_trip_through_consumer_group);
	RUN(jobs_queued_before_any_worker_are_delivered);
	RUN(malformed_entries_are_flagged_not_dropped);
	RUN(results_expire_and_reply_marker_is_set_once);
	RUN(one_reporter_at_a_time_may_mail_a_token);
	RUN(a_dead_consumers_job_is_taken_over_then_dead_lettered);
	RUN(a_failed_delivery_count_is_an_error_not_a_first_delivery);
	RUN(a_job_keeps_its_first_token);
	RUN(a_report_entry_names_the_job_it_answers);
	RUN(latency_histogram_buckets_are_cumulative);
	RUN(rate_counters_count_within_their_window);
	RUN(unreachable_redis_is_an_error_with_advice);
	config_free(&cfg);
	fixture_redis_stop(&fx);
	return harness_done();
}
