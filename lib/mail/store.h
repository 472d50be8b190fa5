/*
 * store.h - mxray's records in Redis: streams of jobs and reports, results
 * with a time to live, idempotency markers.
 *
 * Keys (all under [redis] key_prefix, "mxray:" by default):
 *   <p>jobs            stream: one entry per test  {v: "1", job: <job JSON>}
 *   <p>reports         stream: one entry per stored result
 *                      {v: "1", token: T, job_id: ID of the job it answers}
 *   <p>result:<T>      string: the report JSON, expires with the report
 *   <p>replied:<T>     string: set once the reply for T was submitted
 *   <p>sending:<T>     string "CONSUMER ENTRY-ID": the reporter mailing T's
 *                      reply now (store_claim_reply), expires by itself
 *   <p>jobtoken:<ID>   string: the token given to job entry ID, so a job
 *                      delivered twice yields one report, not two
 *   <p>dead            stream: entries that failed max_deliveries times
 *   <p>count:<NAME>    integer: event counters shared by all processes
 *                      (jobs_processed, replies_sent, replies_failed)
 *   <p>rate:<KIND>:<V> integer: tests counted in the current window for one
 *                      sender, domain or network (expires with the window)
 *   <p>hist:<NAME>     hash: a latency histogram shared by all processes,
 *                      fields "le_<MS>" (one per bucket, not cumulative),
 *                      "inf", "count" and "sum_ms"
 * Consumer groups: "workers" on jobs, "reporters" on reports.
 * A store_t is one connection: not shared between threads.
 */
#ifndef MXRAY_MAIL_STORE_H
#define MXRAY_MAIL_STORE_H

#include <stddef.h>
#include <jansson.h>
#include "mail/config.h"

#define STORE_RECORD_VERSION "1"
#define STORE_GROUP_WORKERS "workers"
#define STORE_GROUP_REPORTERS "reporters"

typedef enum store_stream {
	STORE_STREAM_JOBS,
	STORE_STREAM_REPORTS,
} store_stream_t;

typedef struct store store_t;

/* store_connect - connect within timeout_ms; NULL with reason in err. */
store_t *store_connect(const mxray_config_t *cfg, long long timeout_ms, char *err, size_t errlen);
void store_free(store_t *s);
/* store_last_error - text of the last failure on this connection. */
const char *store_last_error(const store_t *s);
/* store_broken - 1 when the connection is lost for good (reconnect). */
int store_broken(const store_t *s);

/* store_job_add - XADD a job; 0 ok, -1 on failure. */
int store_job_add(store_t *s, const json_t *job);
/* store_job_add_id - the same, with the new entry's id into id (len bytes). */
int store_job_add_id(store_t *s, const json_t *job, char *id, size_t len);
/* store_report_add - XADD a token to the reports stream, with the id of
 * the job entry it answers (NULL: none), so the reporter can measure the
 * time from the test mail's arrival to its reply. */
int store_report_add(store_t *s, const char *token, const char *job_id);
/* store_id_ms - the milliseconds part of a stream id ("1700000000000-0"):
 * when Redis took the entry, by Redis's clock; -1 if id has not that shape. */
long long store_id_ms(const char *id);

/* One entry read from a stream through a consumer group. */
typedef struct store_entry {
	char id[64];			/* stream entry id, for store_ack */
	char *version;			/* the entry's "v" field */
	json_t *job;			/* jobs stream: parsed job, or NULL if malformed */
	char *token;			/* reports stream: the token */
	char *job_id;			/* reports stream: the job answered, or NULL */
	char *problem;			/* why the entry is malformed, else NULL */
	long long deliveries;		/* times delivered, this one included */
} store_entry_t;

/* store_entry_fill - read one [id, [field, value ...]] stream entry as Redis
 * returned it (any shape: the stream is written by other processes) into
 * out; what is wrong with it goes in out->problem. Free with
 * store_entry_clear. */
struct redisReply;
void store_entry_fill(store_stream_t stream, const struct redisReply *e, store_entry_t *out);

/* store_read - create the group if missing, then XREADGROUP one entry for
 * consumer, blocking up to block_ms. 1 = entry read, 0 = none, -1 = error. */
int store_read(store_t *s, store_stream_t stream, const char *consumer, long long block_ms,
	       store_entry_t *out);
void store_entry_clear(store_entry_t *e);
/* store_claim_stale - take over one entry that another consumer (a dead
 * one, or this one before a restart) has held for at least min_idle_ms
 * without acknowledging it (XAUTOCLAIM). 1 = claimed, 0 = none, -1 = error. */
int store_claim_stale(store_t *s, store_stream_t stream, const char *consumer,
		      long long min_idle_ms, store_entry_t *out);
/* store_dead_letter - move an entry that keeps failing to <p>dead with the
 * reason, and acknowledge it. 0 ok, -1 error. */
int store_dead_letter(store_t *s, store_stream_t stream, const store_entry_t *e,
		      const char *reason);
/* store_job_token - the token of job entry job_id: token (a fresh one) if
 * the job has none yet, else the one it was given before, written into
 * token. 0 ok, -1 error. */
int store_job_token(store_t *s, const char *job_id, char *token, size_t len, long long ttl_ms);
/* store_replied_exists - 1 if the reply for token was already sent, 0 if
 * not, -1 on error. */
int store_replied_exists(store_t *s, const char *token);
int store_ack(store_t *s, store_stream_t stream, const char *id);

/* store_result_put - SET result:<token> to report JSON with ttl_ms. */
int store_result_put(store_t *s, const char *token, const json_t *report, long long ttl_ms);
/* store_result_get - 1 found (*out owns the JSON text), 0 absent/expired, -1 error. */
int store_result_get(store_t *s, const char *token, char **out);
/* store_mark_replied - 1 if this call marked it first, 0 if already marked, -1 error. */
int store_mark_replied(store_t *s, const char *token, long long ttl_ms);
/* store_claim_reply - claim the right to mail token's reply, atomically,
 * for ttl_ms: 1 claimed (or the claim was already holder's own, then it is
 * renewed), 0 someone else holds it (their "CONSUMER ENTRY-ID" in other),
 * -1 error. holder is "CONSUMER ENTRY-ID" of the caller. Two reporters
 * given one token (a duplicated entry, a takeover) cannot both mail it. */
int store_claim_reply(store_t *s, const char *token, const char *holder, long long ttl_ms,
		      char *other, size_t otherlen);
/* store_release_reply - drop holder's claim (a failed submission, so a
 * later try may claim it); someone else's is left alone. 0 ok, -1 error. */
int store_release_reply(store_t *s, const char *token, const char *holder);

/* store_count - add one to counter name. 0 ok, -1 error. */
int store_count(store_t *s, const char *name);
/* store_counter - the value of counter name (0 if never counted). */
int store_counter(store_t *s, const char *name, long long *out);

/* store_rate_count - add one to the rate counter of kind/value, created
 * to expire after window_ms (the window starts with its first test);
 * its new value in *count. 0 ok, -1 error. */
int store_rate_count(store_t *s, const char *kind, const char *value, long long window_ms,
		     long long *count);

/* Connection slots shared by every process on one Redis: at most max
 * holders of slot key at once (a sorted set of holders scored by when
 * they took it; a holder older than hold_ms is presumed dead and its slot
 * freed, so a killed worker blocks nobody for long).
 * store_slot_take: 1 taken by holder, 0 all taken, -1 error.
 * store_slot_give: 0 ok, -1 error. */
int store_slot_take(store_t *s, const char *key, const char *holder, int max, long long hold_ms);
int store_slot_give(store_t *s, const char *key, const char *holder);

/* A short-lived shared cache of JSON values (the probe's address results).
 * store_cache_put: 0 ok, -1 error. store_cache_get: 1 found (*out owns
 * the text), 0 absent or expired, -1 error. */
int store_cache_put(store_t *s, const char *key, const json_t *value, long long ttl_ms);
int store_cache_get(store_t *s, const char *key, char **out);

/* Latency histograms: fixed buckets (upper bounds in milliseconds), the
 * same for every histogram so /metrics can print them without knowing
 * who observed what. */
#define STORE_HIST_BUCKETS 11
extern const long long store_hist_bounds_ms[STORE_HIST_BUCKETS];
typedef struct store_histogram {
	long long bucket[STORE_HIST_BUCKETS];	/* observations <= bound, cumulative */
	long long count;			/* all observations (the +Inf bucket) */
	long long sum_ms;
} store_histogram_t;
/* store_observe - add one observation of value_ms to histogram name.
 * 0 ok, -1 error. */
int store_observe(store_t *s, const char *name, long long value_ms);
/* store_histogram - read histogram name (all zero if never observed). */
int store_histogram(store_t *s, const char *name, store_histogram_t *out);

/* Queue figures for operators (mxray status, /metrics). */
typedef struct store_queue_info {
	long long length;		/* entries in the stream */
	long long pending;		/* delivered, not yet acknowledged */
	long long lag;			/* not yet delivered to the group (-1 unknown) */
	long long consumers;
	long long dead;			/* entries in the dead-letter stream (both streams) */
	long long oldest_age_ms;	/* age of the oldest entry not yet acknowledged,
					 * by Redis's clock; -1 when there is none */
} store_queue_info_t;
int store_queue_info(store_t *s, store_stream_t stream, store_queue_info_t *out);

#endif
