/*
 * test_spf_sandbox.c - SPF evaluated in a walled-off child: the same
 * verdicts as in-process, and an evaluation that crashes or hangs (as an
 * exploit of libspf2's CVE-2023-42118 might) costs that message a
 * temperror while the caller and later evaluations are unharmed; one
 * that hangs does not hold up another message's evaluation; a helper that
 * dies is replaced; the processes run as the user asked for.
 */
#include <arpa/nameser.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/types.h>
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

/* A hostile record's evaluation running in another thread. */
typedef struct slow_run {
	spf_sandbox_t *sb;
	const char *from;
	json_t *out;
	long long took;
} slow_run_t;

static void *slow_thread(void *arg)
{
	slow_run_t *r = arg;
	long long t0 = clock_ms();
	r->out = spf_sandbox_run(r->sb, "192.0.2.7", NULL, r->from);
	r->took = clock_ms() - t0;
	return NULL;
}

/* timed_pass - ms one good evaluation takes, -1 when it is not a pass. */
static long long timed_pass(spf_sandbox_t *s)
{
	long long t0 = clock_ms();
	json_t *out = spf_sandbox_run(s, "192.0.2.7", NULL, "alice@sender.test");
	long long took = clock_ms() - t0;
	int pass = result_of(out) && strcmp(result_of(out), "pass") == 0;
	json_decref(out);
	return pass ? took : -1;
}

/* While a hanging evaluation holds its child to the 700 ms deadline, a
 * second message's check is answered at once; with one child allowed it
 * has to wait (so the measurement can tell the two apart). */
TEST(a_hang_does_not_stall_another_message)
{
	slow_run_t r = { sb, "mallory@hang.test", NULL, 0 };
	pthread_t t;
	pthread_create(&t, NULL, slow_thread, &r);
	usleep(100 * 1000);	/* the hanging child is running */
	long long took = timed_pass(sb);
	printf("# good check during a hang: %lld ms\n", took);
	CHECK(took >= 0 && took < 300);
	pthread_join(t, NULL);
	CHECK_STR(result_of(r.out), "temperror");
	CHECK(r.took >= 650);
	json_decref(r.out);

	r.from = "mallory@crash.test";	/* a crash beside a good check, too */
	pthread_create(&t, NULL, slow_thread, &r);
	took = timed_pass(sb);
	pthread_join(t, NULL);
	CHECK(took >= 0);
	CHECK_STR(result_of(r.out), "temperror");
	json_decref(r.out);
}

TEST(one_child_at_a_time_when_so_configured)
{
	char err[256];
	analysis_dns_t hostile = { hostile_query, inner.arg };
	spf_sandbox_opts_t o = { .timeout_ms = 700, .max_children = 1 };
	spf_sandbox_t *one = spf_sandbox_start_opts(&hostile, &o, err, sizeof(err));
	CHECK(one != NULL);
	if (one == NULL)
		return;
	slow_run_t r = { one, "mallory@hang.test", NULL, 0 };
	pthread_t t;
	pthread_create(&t, NULL, slow_thread, &r);
	usleep(100 * 1000);
	long long took = timed_pass(one);
	printf("# good check behind a hang, one child: %lld ms\n", took);
	CHECK(took >= 450);	/* queued behind the hanging child */
	pthread_join(t, NULL);
	json_decref(r.out);
	spf_sandbox_stop(one);
}

static pid_t helper_now(pid_t keeper);
/* helper_of - the helper's pid: the keeper's only child, waited for up to
 * a second (the keeper reports ready before it forks the helper). */
static pid_t helper_of(pid_t keeper)
{
	pid_t p = 0;
	for (int i = 0; i < 20 && (p = helper_now(keeper)) == 0; i++)
		usleep(50 * 1000);
	return p;
}

static pid_t helper_now(pid_t keeper)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)keeper, (int)keeper);
	FILE *f = fopen(path, "r");
	int pid = 0;
	if (f != NULL) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/* A helper that dies (killed, or a bug of its own) is replaced by the
 * keeper; evaluations go on without restarting the caller. */
TEST(a_dead_helper_is_replaced)
{
	pid_t keeper = spf_sandbox_keeper(sb), helper = helper_of(keeper);
	CHECK(helper > 0);
	if (helper <= 0)
		return;
	/* an evaluation in flight when the helper dies ends at once (its
	 * child dies with the helper), not at the deadline */
	slow_run_t r = { sb, "mallory@hang.test", NULL, 0 };
	pthread_t t;
	pthread_create(&t, NULL, slow_thread, &r);
	usleep(100 * 1000);
	kill(helper, SIGKILL);
	pthread_join(t, NULL);
	CHECK_STR(result_of(r.out), "temperror");
	CHECK_STR(json_string_value(json_object_get(r.out, "explanation")), "SPF evaluation gave no answer");
	CHECK(r.took < 600);
	json_decref(r.out);
	long long t0 = clock_ms();
	pid_t again = 0;
	for (int i = 0; i < 40 && (again == 0 || again == helper); i++) {
		usleep(50 * 1000);
		again = helper_now(keeper);
	}
	printf("# new helper %d after %lld ms\n", (int)again, clock_ms() - t0);
	CHECK(again > 0 && again != helper);
	CHECK(timed_pass(sb) >= 0);
}

/* uid_of - the real uid of a process, -1 if unknown. */
static long uid_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long uid = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %ld", &uid) == 1)
			break;
	if (f)
		fclose(f);
	return uid;
}

/* Started as root with a user, the keeper, helper and children are that
 * user (and evaluations still work); a user that does not exist stops
 * the start with the reason. */
TEST(runs_as_the_user_given)
{
	if (geteuid() != 0) {
		printf("# not root: privilege drop not tested\n");
		return;
	}
	char err[256];
	analysis_dns_t hostile = { hostile_query, inner.arg };
	spf_sandbox_opts_t o = { .timeout_ms = 700, .user = "nobody" };
	spf_sandbox_t *s = spf_sandbox_start_opts(&hostile, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT((int)uid_of(spf_sandbox_keeper(s)), 65534);
	CHECK_INT((int)uid_of(helper_of(spf_sandbox_keeper(s))), 65534);
	CHECK(timed_pass(s) >= 0);
	spf_sandbox_stop(s);
	o.user = "no-such-user-mxray";
	err[0] = '\0';
	CHECK(spf_sandbox_start_opts(&hostile, &o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot drop privileges") && strstr(err, "does not exist"));
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
	RUN(a_hang_does_not_stall_another_message);
	RUN(one_child_at_a_time_when_so_configured);
	RUN(a_dead_helper_is_replaced);
	RUN(runs_as_the_user_given);
	spf_sandbox_stop(sb);
	return harness_done();
}
