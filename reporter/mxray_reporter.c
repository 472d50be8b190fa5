/*
 * mxray_reporter.c - mxray-reporter: mail each tester a link to their
 * report, and serve the reports until they expire.
 *
 * SYNOPSIS
 *	mxray-reporter [-c FILE] [-v] [--help]
 *
 * DESCRIPTION
 *	Serves the report site on [http] listen (see site.h) from an internal
 *	thread. The main thread reads tokens from the <prefix>reports stream
 *	through the "reporters" consumer group, loads each stored report, and
 *	mails a reply with the link BASE_URL/r/TOKEN to the envelope sender of
 *	the test mail (reply.h), submitted per [mail] submit.
 *	SIGTERM or SIGINT: finish the current reply, stop the site, exit 0.
 *
 *	Order of a reply, and why: claim <prefix>sending:TOKEN, submit, then
 *	mark <prefix>replied:TOKEN, then acknowledge the entry.
 *	- The claim (atomic in Redis, "CONSUMER ENTRY-ID", for reclaim_idle)
 *	  keeps two reporters from mailing one token at once: one given a
 *	  duplicate entry while another mails the token acknowledges it
 *	  unsent; one given the very entry another still holds (a takeover)
 *	  leaves it pending. A failed submission releases the claim.
 *	- The mark is set only after a successful submission: marking first
 *	  would make a failed submission final (a retry would find the mark
 *	  and skip), losing the tester's link (DESIGN.md hard rule 5).
 *	- A submission that fails three times (1 s, 2 s, 4 s apart) leaves the
 *	  entry unacknowledged for a later retry instead of dropping it.
 *	- The cost is at-least-once delivery: if we die, or Redis fails,
 *	  between a successful submission and the acknowledgement, a
 *	  redelivered entry would be mailed again. The mark is checked before
 *	  submitting, so only a death between submitting and marking can
 *	  still send one duplicate (it is logged as a warning).
 *	- An entry left unacknowledged (failed submissions, a dead reporter)
 *	  is taken over after [redis] reclaim_idle and retried; after
 *	  [redis] max_deliveries it moves to the dead-letter stream.
 *	Nothing is ever sent to the null sender, to a domain-only check, or to
 *	an address that is not a plain local@domain.
 *
 * DIAGNOSTICS
 *	One info line per reply: token, recipient domain, outcome. Redis and
 *	submission failures are errors; Redis is reconnected with a bounded
 *	backoff, the program never exits because of it.
 *
 * BUGS
 *	No rate limits per recipient yet.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "base/token.h"
#include "mail/daemon.h"
#include "mail/config.h"
#include "mail/record.h"
#include "mail/store.h"
#include "report/reply.h"
#include "site.h"

#define REPORTER_BLOCK_MS 5000
#define REPORTER_SUBMIT_TRIES 3

static void usage(FILE *f)
{
	fprintf(f, "usage: mxray-reporter [-c FILE] [-v] [--help]\n"
		"  -c FILE   configuration file (default: %s)\n"
		"  -v        verbose (debug) logging\n"
		"  --help    this text\n", config_default_path());
}

/* rcpt_domain - the domain of an address, for logs (not the local part). */
static const char *rcpt_domain(const char *rcpt)
{
	const char *at = rcpt ? strrchr(rcpt, '@') : NULL;
	return at ? at + 1 : "-";
}

/* submit_with_retry - up to REPORTER_SUBMIT_TRIES submissions with backoff. */
static int submit_with_retry(const mxray_config_t *cfg, const char *token, const char *rcpt,
			     const strbuf_t *msg)
{
	char err[512];
	long long wait = 1000;
	for (int i = 1; i <= REPORTER_SUBMIT_TRIES; i++) {
		if (reply_submit(cfg, rcpt, msg->data, msg->len, err, sizeof(err)) == 0)
			return 0;
		log_error("token %s: reply to %s: try %d of %d failed: %s", token,
			  rcpt_domain(rcpt), i, REPORTER_SUBMIT_TRIES, err);
		if (i < REPORTER_SUBMIT_TRIES && !daemon_stopping) {
			daemon_sleep_ms(wait);
			wait *= 2;
		}
	}
	return -1;
}

/* already_answered - 1 when token has no reply yet; else what handle
 * returns for entry e: 0 (answered before: the entry is acknowledged, a
 * copy delivered again is never mailed twice) or -1 (Redis failed). */
static int already_answered(store_t *s, const char *token, const store_entry_t *e)
{
	int replied = store_replied_exists(s, token);
	if (replied == 0)
		return 1;
	if (replied < 0)
		return -1;
	log_info("token %s: already answered; entry delivered again, not mailed twice", token);
	return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
}

/* handle - one reports-stream entry. 0 = done (acknowledged), 1 = leave it
 * pending (submission failed), -1 = Redis failed. */
static int handle(const mxray_config_t *cfg, store_t *s, const store_entry_t *e)
{
	char why[256];
	const char *token = e->token;

	if (e->problem || !token_valid(token)) {
		log_error("reports entry %s: malformed, dropped: %s", e->id,
			  e->problem ? e->problem : "token has not the shape of a token");
		return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
	}
	char *text = NULL;
	int found = store_result_get(s, token, &text);
	if (found < 0)
		return -1;
	if (found == 0) {
		log_error("token %s: the report expired before its reply was sent; no reply",
			  token);
		return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
	}
	json_error_t jerr;
	json_t *rep = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (rep == NULL || record_check_format(rep, REPORT_FORMAT, why, sizeof(why)) != 0) {
		log_error("token %s: stored report unreadable, no reply: %s", token,
			  rep == NULL ? jerr.text : why);
		json_decref(rep);
		return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
	}
	int done = already_answered(s, token, e);
	if (done != 1) {
		json_decref(rep);
		return done;
	}
	/* Claim the token before mailing: two reporters given it at once (a
	 * duplicated entry, a takeover racing a slow holder) must not both
	 * send. The claim outlives this entry's reclaim_idle, so a reporter
	 * that dies holding it leaves it to expire before the takeover. */
	char holder[256], other[256];
	snprintf(holder, sizeof(holder), "%s %s", cfg->consumer_name, e->id);
	int claimed = store_claim_reply(s, token, holder, cfg->reclaim_idle_ms, other, sizeof(other));
	if (claimed < 0) {
		json_decref(rep);
		return -1;
	}
	if (claimed == 0) {
		json_decref(rep);
		const char *sp = strrchr(other, ' ');
		if (sp && strcmp(sp + 1, e->id) == 0) {
			/* This very entry, still in its holder's hands: it may yet
			 * fail, so keep it pending rather than lose it. */
			log_info("token %s: entry %s is being mailed by another reporter; left pending",
				 token, e->id);
			return 1;
		}
		/* Another entry for the token is being mailed; that entry stays
		 * pending until its reply is sent, so this copy can go. */
		log_info("token %s: another reporter is mailing it (entry %s); duplicate entry "
			 "acknowledged, not mailed twice", token, sp ? sp + 1 : "?");
		return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
	}
	/* Claimed: the reply may have gone out just before (its holder marked
	 * it and its claim ran out between our two checks). */
	if ((done = already_answered(s, token, e)) != 1) {
		json_decref(rep);
		return done;
	}
	const char *rcpt = reply_recipient(rep);
	if (rcpt == NULL) {
		log_info("token %s: no reply: null sender, domain check or no plain address",
			 token);
		json_decref(rep);
		return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
	}
	strbuf_t msg = STRBUF_INIT;
	char err[512];
	if (reply_compose(cfg, rep, rcpt, time(NULL), &msg, err, sizeof(err)) != 0) {
		log_error("token %s: cannot compose the reply: %s", token, err);
		strbuf_free(&msg);
		json_decref(rep);
		return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
	}
	int rc = submit_with_retry(cfg, token, rcpt, &msg);
	strbuf_free(&msg);
	if (rc != 0) {
		log_error("token %s: reply to %s: failed, left pending", token, rcpt_domain(rcpt));
		(void)store_count(s, "replies_failed");
		/* A later try, ours or another reporter's, may claim it again. */
		if (store_release_reply(s, token, holder) != 0)
			log_error("token %s: claim not released (it expires in %lld s): %s", token,
				  cfg->reclaim_idle_ms / 1000, store_last_error(s));
		json_decref(rep);
		return 1;
	}
	/* Submitted: mark, then acknowledge (see the ordering note above). */
	int first = store_mark_replied(s, token, cfg->report_ttl_ms);
	if (first < 0) {
		log_error("token %s: reply sent but not marked: %s", token, store_last_error(s));
		json_decref(rep);
		return -1;
	}
	if (first == 0)
		log_warn("token %s: a reply had already been sent: this one is a duplicate",
			 token);
	log_info("token %s: reply to %s: sent", token, rcpt_domain(rcpt));
	if (store_count(s, "replies_sent") != 0)
		log_error("redis: cannot count the reply: %s", store_last_error(s));
	/* From the test mail's arrival (its job id carries Redis's clock) to
	 * now: one host's clock against another's when Redis runs elsewhere,
	 * so keep the hosts on NTP (docs/operations.md). */
	long long queued = store_id_ms(e->job_id);
	struct timespec ts;
	if (queued >= 0 && clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		long long now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (store_observe(s, "end_to_end_ms", now_ms - queued) != 0)
			log_error("redis: cannot record the latency: %s", store_last_error(s));
	}
	json_decref(rep);
	return store_ack(s, STORE_STREAM_REPORTS, e->id) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	mxray_config_t cfg;
	char err[1024];
	int rc0 = daemon_init(argc, argv, "mxray-reporter", usage, &cfg);
	if (rc0 >= 0)
		return rc0;

	daemon_handle_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_fatal("libcurl cannot be initialised");

	site_t *site = site_start(&cfg, err, sizeof(err));
	if (site == NULL)
		log_fatal("%s", err);
	/* Open files it needs: the site's connections (at most 256, site.c),
	 * Redis, a submission, and the process's own. */
	daemon_drop_privileges_limited(cfg.reporter_user, "[http] user", 512);
	log_info("started: http %s, consumer %s, redis %s, submit %s", cfg.http_listen,
		 cfg.consumer_name, cfg.redis_address, cfg.mail_submit);

	store_t *s = NULL;
	long long backoff = 0;
	while (!daemon_stopping) {
		if (s == NULL && (s = daemon_store_connect(&cfg, &backoff)) == NULL)
			continue;
		store_entry_t e;
		int rc = daemon_next_entry(s, &cfg, STORE_STREAM_REPORTS, REPORTER_BLOCK_MS, &e);
		if (rc == 1) {
			rc = handle(&cfg, s, &e) < 0 ? -1 : 1;
			store_entry_clear(&e);
		}
		if (rc < 0) {
			log_error("%s; reconnecting", store_last_error(s));
			store_free(s);
			s = NULL;
			continue;
		}
		backoff = 0;
	}
	log_info("stopping");
	site_stop(site);
	store_free(s);
	curl_global_cleanup();
	config_free(&cfg);
	return 0;
}
