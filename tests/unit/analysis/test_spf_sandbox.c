/*
 * test_spf_sandbox.c - SPF evaluated in a walled-off child: the same
 * verdicts as in-process, and an evaluation that crashes or hangs (as an
 * exploit of libspf2's CVE-2023-42118 might) costs that message a
 * temperror while the caller and later evaluations are unharmed.
 */
#include <arpa/nameser.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "fake_dns.h"
#include "base/clock.h"
#include "analysis/spf_check.h"
#include "analysis/spf_sandbox.h"

static fake_rr_t zone[] = {
	{ .name = "sender.test", .type = ns_t_txt, .outcome = DNS_OK, .dnssec = DNSSEC_SECURE,
	  .text = { "v=spf1 ip4:192.0.2.0/24 -all" } },
	{ .name = "macro.test", .type = ns_t_txt, .outcome = DNS_OK,
	  .text = { "v=spf1 exists:%{l1r+-_.=/}.%{d9999999999r}.%{i0}.%{h}.%{ir}._spf.macro.test "
		    "exists:%{l}%{l}%{l}%{l}%{l}%{l}%{l}%{l}.macro.test -all" } },
};
static fake_dns_t fake;
static analysis_dns_t inner;

/* hostile_query - the fake zone, except that looking up crash.test kills
 * the evaluating process and hang.test never answers: what a successful
 * exploit inside libspf2 would look like from outside. */
static int hostile_query(void *arg, const char *name, int type, dns_answer_t **out, char *err,
			 size_t errlen)
{
	if (strcmp(name, "crash.test") == 0 || strcmp(name, "crash.test.") == 0)
		raise(SIGSEGV);
	if (strcmp(name, "hang.test") == 0 || strcmp(name, "hang.test.") == 0)
		for (;;)
			pause();
	return inner.query(arg, name, type, out, err, errlen);
}

static spf_sandbox_t *sb;

static const char *result_of(json_t *spf)
{
	return json_string_value(json_object_get(spf, "result"));
}

TEST(same_verdicts_as_in_process)
{
	json_t *in = spf_check_run(&inner, "192.0.2.7", "client.sender.test", "alice@sender.test");
	json_t *out = spf_sandbox_run(sb, "192.0.2.7", "client.sender.test", "alice@sender.test");
	CHECK_STR(result_of(out), "pass");
	CHECK_STR(result_of(out), result_of(in));
	CHECK_STR(json_string_value(json_object_get(out, "record")), "v=spf1 ip4:192.0.2.0/24 -all");
	json_decref(in);
	json_decref(out);
	out = spf_sandbox_run(sb, "198.51.100.9", NULL, "alice@sender.test");
	CHECK_STR(result_of(out), "fail");
	json_decref(out);
}

TEST(a_crash_inside_evaluation_hurts_only_that_message)
{
	json_t *out = spf_sandbox_run(sb, "192.0.2.7", NULL, "mallory@crash.test");
	CHECK_STR(result_of(out), "temperror");
	const char *why = json_string_value(json_object_get(out, "explanation"));
	/* A signal, or an exit status when a sanitizer caught the crash. */
	CHECK(why && (strstr(why, "crashed (signal 11)") || strstr(why, "crashed (exit status")));
	json_decref(out);
	/* The sandbox, and this process, carry on. */
	out = spf_sandbox_run(sb, "192.0.2.7", NULL, "alice@sender.test");
	CHECK_STR(result_of(out), "pass");
	json_decref(out);
}

TEST(a_hang_is_cut_at_the_deadline)
{
	long long t0 = clock_ms();
	json_t *out = spf_sandbox_run(sb, "192.0.2.7", NULL, "mallory@hang.test");
	long long took = clock_ms() - t0;
	CHECK_STR(result_of(out), "temperror");
	const char *why = json_string_value(json_object_get(out, "explanation"));
	CHECK(why && strstr(why, "longer than 700 ms") != NULL);
	printf("# hanging evaluation stopped after %lld ms\n", took);
	CHECK(took >= 650 && took < 2500);
	json_decref(out);
	out = spf_sandbox_run(sb, "192.0.2.7", NULL, "alice@sender.test");
	CHECK_STR(result_of(out), "pass");
	json_decref(out);
}

TEST(extreme_macros_get_a_verdict)
{
	json_t *out = spf_sandbox_run(sb, "192.0.2.7", "h.macro.test", "someone@macro.test");
	const char *r = result_of(out);
	printf("# extreme macros: %s\n", r ? r : "(none)");
	CHECK(r != NULL);
	json_decref(out);
}

int main(void)
{
	char err[256];
	spf_check_init();
	inner = fake_dns_source(&fake, zone, sizeof(zone) / sizeof(zone[0]));
	analysis_dns_t hostile = { hostile_query, inner.arg };
	sb = spf_sandbox_start(&hostile, 700, err, sizeof(err));
	if (sb == NULL) {
		printf("not ok - sandbox_starts: %s\n", err);
		return 1;
	}
	RUN(same_verdicts_as_in_process);
	RUN(a_crash_inside_evaluation_hurts_only_that_message);
	RUN(a_hang_is_cut_at_the_deadline);
	RUN(extreme_macros_get_a_verdict);
	spf_sandbox_stop(sb);
	return harness_done();
}
