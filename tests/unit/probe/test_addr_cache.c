/* test_addr_cache.c - reuse of an address's result across jobs: a copy
 * comes back with its age, only for the same host, address and port,
 * only while younger than [probe] reuse_results, never when reuse is off
 * or the result was cut short by mxray's own limits (the job deadline,
 * busy connection slots); a server's refusal is kept. */
#include <time.h>
#include "harness.h"
#include "probe/addr_cache.h"

static mxray_config_t cfg;
static netaddr_t a1, a2;

static json_t *result(const char *state, const char *reason)
{
	json_t *o = json_pack("{ss ss}", "ip", "192.0.2.1", "state", state);
	json_object_set_new(o, "reason", reason ? json_string(reason) : json_null());
	return o;
}

static void setup(long long reuse_ms)
{
	addr_cache_clear();
	memset(&cfg, 0, sizeof(cfg));
	cfg.smtp_port = 25;
	cfg.reuse_results_ms = reuse_ms;
	netaddr_parse("192.0.2.1", &a1);
	netaddr_parse("192.0.2.2", &a2);
}

TEST(reused_copy_carries_its_age)
{
	setup(60000);
	json_t *r = result("tested", NULL);
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	CHECK(json_is_null(json_object_get(r, "reused_age_ms")));	/* fresh */
	json_t *g = addr_cache_get(&cfg, "mx.example.org", &a1);
	CHECK(g != NULL && g != r);
	CHECK(json_is_integer(json_object_get(g, "reused_age_ms")));
	CHECK_STR(json_string_value(json_object_get(g, "state")), "tested");
	/* a reused result is not stored again as fresh evidence */
	addr_cache_put(&cfg, "mx.example.org", &a1, g);
	CHECK(json_is_integer(json_object_get(g, "reused_age_ms")));
	json_decref(g);
	json_decref(r);
}

TEST(other_host_or_address_is_a_miss)
{
	setup(60000);
	json_t *r = result("tested", NULL);
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	CHECK(addr_cache_get(&cfg, "mx2.example.org", &a1) == NULL);
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a2) == NULL);
	cfg.smtp_port = 2525;
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a1) == NULL);
	json_decref(r);
}

TEST(expired_off_and_deadline_results_are_not_reused)
{
	setup(30);
	json_t *r = result("tested", NULL);
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	struct timespec ts = { 0, 60 * 1000000L };
	nanosleep(&ts, NULL);
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a1) == NULL);
	json_decref(r);

	setup(0);
	r = result("tested", NULL);
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a1) == NULL);
	json_decref(r);

	/* cut short by mxray's own limits: no evidence about the server */
	setup(60000);
	r = result("not_tested", "job deadline reached");
	json_object_set_new(r, "mxray_limit", json_string("job deadline"));
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a1) == NULL);
	json_decref(r);
	r = result("not_tested", "mxray's own limit of connections to this address stayed in use");
	json_object_set_new(r, "mxray_limit", json_string("connection slots"));
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	CHECK(addr_cache_get(&cfg, "mx.example.org", &a1) == NULL);
	json_decref(r);

	/* the server's own refusal is kept (hard rule 2: do not hammer it) */
	r = result("not_tested", "the server refused the session in its greeting: 421 busy");
	json_object_set_new(r, "mxray_limit", json_null());
	addr_cache_put(&cfg, "mx.example.org", &a1, r);
	json_t *g = addr_cache_get(&cfg, "mx.example.org", &a1);
	CHECK(g != NULL);
	json_decref(g);
	json_decref(r);
}

TEST(cache_is_bounded)
{
	setup(60000);
	char host[64];
	for (int i = 0; i < ADDR_CACHE_MAX + 50; i++) {
		snprintf(host, sizeof(host), "mx%d.example.org", i);
		json_t *r = result("tested", NULL);
		addr_cache_put(&cfg, host, &a1, r);
		json_decref(r);
	}
	json_t *g = addr_cache_get(&cfg, "mx0.example.org", &a1);	/* the oldest: evicted */
	CHECK(g == NULL);
	snprintf(host, sizeof(host), "mx%d.example.org", ADDR_CACHE_MAX + 49);
	g = addr_cache_get(&cfg, host, &a1);
	CHECK(g != NULL);
	json_decref(g);
	addr_cache_clear();
}

int main(void)
{
	RUN(reused_copy_carries_its_age);
	RUN(other_host_or_address_is_a_miss);
	RUN(expired_off_and_deadline_results_are_not_reused);
	RUN(cache_is_bounded);
	return harness_done();
}
