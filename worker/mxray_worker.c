/*
 * mxray_worker.c - mxray-worker: take test jobs from Redis, probe the
 * sender domain, store the report.
 *
 * SYNOPSIS
 *	mxray-worker [-c FILE] [-v] [--help]
 *
 * DESCRIPTION
 *	Reads jobs from the <prefix>jobs stream through the "workers" consumer
 *	group, runs probe_domain() on each job's domain, stores the report as
 *	<prefix>result:<token> with the report TTL, announces the token on the
 *	<prefix>reports stream, and only then acknowledges the job (DESIGN.md
 *	hard rule 5): a worker that dies mid-job leaves it pending for reclaim.
 *	A malformed job can never succeed: it is logged and acknowledged.
 *	[worker] jobs threads each take one job at a time, so one process has
 *	that many domains in flight; every connection to an MX address takes
 *	a slot of [probe] connections_per_address shared through Redis.
 *	SIGTERM or SIGINT: finish the current jobs, then exit 0.
 *
 * DIAGNOSTICS
 *	One info line per job (token, domain, duration, addresses tested).
 *	Redis failures are errors; the worker reconnects with a bounded
 *	backoff and never exits because of them.
 *
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/token.h"
#include "analysis/domain_policy.h"
#include "report/assess.h"
#include "mail/daemon.h"
#include "mail/config.h"
#include "mail/record.h"
#include "mail/resolver.h"
#include "mail/store.h"
#include "probe/probe.h"
#include "probe/share.h"

#define WORKER_BLOCK_MS 5000

static void usage(FILE *f)
{
	fprintf(f, "usage: mxray-worker [-c FILE] [-v] [--help]\n"
		"  -c FILE   configuration file (default: %s)\n"
		"  -v        verbose (debug) logging\n"
		"  --help    this text\n", config_default_path());
}

/* The SPF sandbox (libspf2 out of this process), forked before the job
 * threads start; spf_sandbox_run is thread-safe. */
static spf_sandbox_t *worker_spf;

/* build_report - the whole report for a job; NULL with err. */
static json_t *build_report(const mxray_config_t *cfg, resolver_t *r, const json_t *job,
			    const char *token, char *err, size_t errlen)
{
	const char *domain = json_string_value(json_object_get(job, "domain"));
	long long t0 = clock_ms();
	time_t now = time(NULL);
	char created[32], expires[32];

	analysis_dns_t adns = analysis_dns_resolver(r);
	domain_policy_t *policy = domain_policy_start(&adns, worker_spf, domain);
	json_t *probe = probe_domain(cfg, r, domain, err, errlen);
	if (probe == NULL) {
		domain_policy_finish(policy, &adns, NULL);
		return NULL;
	}
	clock_rfc3339(now, created, sizeof(created));
	clock_rfc3339(now + (time_t)(cfg->report_ttl_ms / 1000), expires, sizeof(expires));
	json_t *rep = json_object();
	json_object_set_new(rep, "format", json_integer(REPORT_FORMAT));
	json_object_set_new(rep, "token", json_string(token));
	json_object_set_new(rep, "created", json_string(created));
	json_object_set_new(rep, "expires", json_string(expires));
	record_set_text(rep, "domain", domain);
	json_object_set_new(rep, "duration_ms", json_integer(clock_ms() - t0));
	json_t *msg = json_object_get(job, "message");
	if (json_is_object(msg))
		json_object_set_new(rep, "message", json_deep_copy(msg));
	/* The milter decided whom to answer (null: nobody); the reporter obeys. */
	json_t *reply_to = json_object_get(job, "reply_to");
	if (json_is_string(reply_to) || json_is_null(reply_to))
		json_object_set(rep, "reply_to", reply_to);
	json_object_set(rep, "dns", json_object_get(probe, "dns"));
	json_object_set(rep, "mx", json_object_get(probe, "mx"));
	json_decref(probe);
	domain_policy_finish(policy, &adns, rep);
	report_assess(rep);
	return rep;
}

/* job_problem - why an entry's job can never be processed, or NULL. */
static const char *job_problem(const store_entry_t *e, char *buf, size_t len)
{
	if (e->problem)
		return e->problem;
	if (e->job == NULL)
		return "no job in the entry";
	return probe_job_problem(e->job, buf, len);
}

/* handle - process one entry. 0 = done (acknowledge), 1 = retry later
 * (leave pending: our environment failed), -1 = Redis failed. */
static int handle(const mxray_config_t *cfg, resolver_t *r, store_t *s, store_entry_t *e)
{
	char why[512], token[TOKEN_BUFSIZE];
	const char *bad = job_problem(e, why, sizeof(why));

	if (bad != NULL) {
		log_error("job %s: malformed, dropped: %s", e->id, bad);
		return store_ack(s, STORE_STREAM_JOBS, e->id) == 0 ? 0 : -1;
	}
	if (token_new(token) != 0) {
		log_error("job %s: cannot make a token (CSPRNG failed)", e->id);
		return 1;
	}
	/* A job delivered again (its worker died after storing) keeps its
	 * first token: one report, one reply. */
	if (store_job_token(s, e->id, token, sizeof(token), cfg->report_ttl_ms) != 0)
		return -1;
	long long t0 = clock_ms();
	/* The job's lookups end at its deadline: a domain whose name servers
	 * never answer cannot hold a job thread past it. */
	resolver_t *jr = resolver_for_job(r, t0 + cfg->job_deadline_ms);
	if (jr == NULL) {
		log_error("job %s: out of memory", e->id);
		return 1;
	}
	json_t *rep = build_report(cfg, jr, e->job, token, why, sizeof(why));
	resolver_free(jr);
	const char *domain = json_string_value(json_object_get(e->job, "domain"));
	if (rep == NULL) {
		/* Not the job's fault (resolver, CA file): leave it pending. */
		log_error("job %s: domain %.253s: no report: %s", e->id, domain, why);
		return 1;
	}
	long long probe_ms = clock_ms() - t0;
	if (store_result_put(s, token, rep, cfg->report_ttl_ms) != 0 ||
	    store_report_add(s, token, e->id) != 0 ||
	    store_ack(s, STORE_STREAM_JOBS, e->id) != 0) {
		json_decref(rep);
		return -1;
	}
	if (store_count(s, "jobs_processed") != 0 || store_observe(s, "probe_ms", probe_ms) != 0)
		log_error("redis: cannot count the job: %s", store_last_error(s));
	size_t total, tested = probe_count_tested(rep, &total);
	const char *grade = json_string_value(json_object_get(json_object_get(rep, "grade"), "overall"));
	log_info("job %s: token %s domain %.253s grade %s: %lld ms, %zu of %zu addresses tested", e->id,
		 token, domain, grade ? grade : "-", probe_ms, tested, total);
	json_decref(rep);
	return 0;
}

/* A job thread: its own Redis connection, the loop of one job at a time. */
typedef struct job_thread {
	const mxray_config_t *cfg;
	resolver_t *r;
	int n;
} job_thread_t;

static void *job_loop(void *arg)
{
	const job_thread_t *t = arg;
	store_t *s = NULL;
	long long backoff = 0;
	while (!daemon_stopping) {
		if (s == NULL && (s = daemon_store_connect(t->cfg, &backoff)) == NULL)
			continue;
		store_entry_t e;
		int rc = daemon_next_entry(s, t->cfg, STORE_STREAM_JOBS, WORKER_BLOCK_MS, &e);
		if (rc == 0)
			continue;
		if (rc > 0) {
			rc = handle(t->cfg, t->r, s, &e);
			store_entry_clear(&e);
			if (rc == 1) {
				daemon_sleep_ms(1000);	/* environment trouble: do not spin */
				continue;
			}
			if (rc == 0)
				continue;
		}
		/* only the first thread speaks for all: N copies say nothing more */
		if (t->n == 0)
			log_error("redis %s: %s; reconnecting", t->cfg->redis_address,
				  store_last_error(s));
		store_free(s);
		s = NULL;
		backoff = backoff ? backoff : 250;
		daemon_sleep_ms(backoff);
	}
	store_free(s);
	return NULL;
}

int main(int argc, char **argv)
{
	mxray_config_t cfg;
	char err[1024];
	int rc0 = daemon_init(argc, argv, "mxray-worker", usage, &cfg);
	if (rc0 >= 0)
		return rc0;
	/* Open files it needs: per job thread, up to 8 addresses probed at
	 * once with connections_per_address each, plus Redis, MTA-STS and the
	 * SPF sandbox's pipes; libunbound's outgoing ports and the rest of the
	 * process besides. */
	long long open_files = 1024 + 64 +
			       (long long)cfg.worker_jobs * (8LL * cfg.connections_per_address + 32);
	daemon_drop_privileges_limited(cfg.worker_user, "[worker] user", open_files);

	daemon_handle_signals();

	resolver_t *r = resolver_new(&cfg, err, sizeof(err));
	if (r == NULL)
		log_fatal("resolver: %s", err);
	analysis_dns_t adns = analysis_dns_resolver(r);
	worker_spf = spf_sandbox_start(&adns, cfg.command_timeout_ms, err, sizeof(err));
	if (worker_spf == NULL)
		log_fatal("SPF sandbox: %s", err);
	/* Connection slots per MX address and recent address results are
	 * shared with every worker on this Redis (probe/share.h). */
	probe_share(&cfg);
	log_info("started: consumer %s, redis %s, %d jobs at once", cfg.consumer_name,
		 cfg.redis_address, cfg.worker_jobs);

	/* [worker] jobs threads, each one job at a time: the resolver is
	 * thread-safe, every thread has its own Redis connection, and the
	 * per-address connection slots keep them from crowding one server. */
	pthread_t *th = calloc((size_t)cfg.worker_jobs, sizeof(*th));
	job_thread_t *args = calloc((size_t)cfg.worker_jobs, sizeof(*args));
	if (th == NULL || args == NULL)
		log_fatal("out of memory for %d job threads", cfg.worker_jobs);
	int started = 0;
	for (int i = 0; i < cfg.worker_jobs; i++) {
		args[i] = (job_thread_t){ &cfg, r, i };
		if (pthread_create(&th[started], NULL, job_loop, &args[i]) != 0) {
			log_error("could start only %d of %d job threads", started, cfg.worker_jobs);
			break;
		}
		started++;
	}
	if (started == 0)
		log_fatal("no job thread could be started");
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	log_info("stopping on signal");
	free(th);
	free(args);
	probe_share(NULL);
	spf_sandbox_stop(worker_spf);
	resolver_free(r);
	config_free(&cfg);
	return 0;
}
