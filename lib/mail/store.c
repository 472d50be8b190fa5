/*
 * store.c - mxray's records in Redis through hiredis (see store.h).
 *
 * Trusts Redis to store what it was given, but not the shape of stream
 * entries (any client can XADD): every entry is checked for its version
 * and fields, and a malformed one is returned with `problem` set rather
 * than dropped, so the caller can log and acknowledge it.
 * Every command runs under a timeout; a blocking read gets its block time
 * on top. After a connection error the store_t is unusable: free it and
 * connect again (hiredis cannot recover a broken context).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <hiredis/hiredis.h>

#include "mail/store.h"

struct store {
	redisContext *ctx;
	char *prefix;
	long long timeout_ms;
	char error[256];
};

static struct timeval ms_to_tv(long long ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	return tv;
}

static const char *stream_suffix(store_stream_t stream)
{
	return stream == STORE_STREAM_JOBS ? "jobs" : "reports";
}

static const char *stream_group(store_stream_t stream)
{
	return stream == STORE_STREAM_JOBS ? STORE_GROUP_WORKERS : STORE_GROUP_REPORTERS;
}

/* store_key - prefix + parts into buf. */
static void store_key(const store_t *s, char *buf, size_t len, const char *a, const char *b)
{
	snprintf(buf, len, "%s%s%s", s->prefix, a, b ? b : "");
}

store_t *store_connect(const mxray_config_t *cfg, long long timeout_ms, char *err, size_t errlen)
{
	const char *addr = cfg->redis_address;
	struct timeval tv = ms_to_tv(timeout_ms);
	redisContext *ctx;

	if (addr[0] == '/') {
		ctx = redisConnectUnixWithTimeout(addr, tv);
	} else {
		char host[256];
		const char *colon = strrchr(addr, ':');
		const char *h = addr;
		size_t hl = colon ? (size_t)(colon - addr) : 0;
		if (colon == NULL || hl == 0 || hl >= sizeof(host) || atoi(colon + 1) <= 0) {
			snprintf(err, errlen, "[redis] address \"%s\" is not HOST:PORT or /unix/path",
				 addr);
			return NULL;
		}
		if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		memcpy(host, h, hl);
		host[hl] = '\0';
		ctx = redisConnectWithTimeout(host, atoi(colon + 1), tv);
	}
	if (ctx == NULL || ctx->err) {
		snprintf(err, errlen, "Redis at %s: %s (is redis-server running? see [redis] address)",
			 addr, ctx ? ctx->errstr : "cannot allocate a context");
		if (ctx)
			redisFree(ctx);
		return NULL;
	}
	redisSetTimeout(ctx, tv);
	store_t *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->prefix = strdup(cfg->key_prefix)) == NULL) {
		free(s);
		redisFree(ctx);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->ctx = ctx;
	s->timeout_ms = timeout_ms;
	return s;
}

void store_free(store_t *s)
{
	if (s == NULL)
		return;
	if (s->ctx)
		redisFree(s->ctx);
	free(s->prefix);
	free(s);
}

const char *store_last_error(const store_t *s)
{
	return s->error;
}

int store_broken(const store_t *s)
{
	return s->ctx == NULL || s->ctx->err != 0;
}

/* store_failed - note why a command failed; frees reply. Returns -1. */
static int store_failed(store_t *s, redisReply *reply, const char *what)
{
	if (reply == NULL)
		snprintf(s->error, sizeof(s->error), "Redis %s: %s", what,
			 s->ctx->errstr[0] ? s->ctx->errstr : "no reply");
	else if (reply->type == REDIS_REPLY_ERROR)
		snprintf(s->error, sizeof(s->error), "Redis %s: %s", what, reply->str);
	else
		snprintf(s->error, sizeof(s->error), "Redis %s: unexpected reply type %d", what,
			 reply->type);
	if (reply)
		freeReplyObject(reply);
	return -1;
}

int store_job_add(store_t *s, const json_t *job)
{
	char id[64];
	return store_job_add_id(s, job, id, sizeof(id));
}

int store_job_add_id(store_t *s, const json_t *job, char *id, size_t len)
{
	char key[256];
	char *text = json_dumps(job, JSON_COMPACT);
	if (text == NULL) {
		snprintf(s->error, sizeof(s->error), "job cannot be encoded as JSON");
		return -1;
	}
	store_key(s, key, sizeof(key), "jobs", NULL);
	redisReply *r = redisCommand(s->ctx, "XADD %s * v %s job %s", key,
				     STORE_RECORD_VERSION, text);
	free(text);
	if (r == NULL || r->type != REDIS_REPLY_STRING)
		return store_failed(s, r, "XADD jobs");
	snprintf(id, len, "%s", r->str);
	freeReplyObject(r);
	return 0;
}

int store_report_add(store_t *s, const char *token, const char *job_id)
{
	char key[256];
	store_key(s, key, sizeof(key), "reports", NULL);
	redisReply *r = job_id != NULL
		? redisCommand(s->ctx, "XADD %s * v %s token %s job_id %s", key,
			       STORE_RECORD_VERSION, token, job_id)
		: redisCommand(s->ctx, "XADD %s * v %s token %s", key, STORE_RECORD_VERSION, token);
	if (r == NULL || r->type != REDIS_REPLY_STRING)
		return store_failed(s, r, "XADD reports");
	freeReplyObject(r);
	return 0;
}

/* store_group_ensure - create the consumer group, reading from the start
 * of the stream so jobs queued before any worker existed are not lost. */
static int store_group_ensure(store_t *s, store_stream_t stream)
{
	char key[256];
	store_key(s, key, sizeof(key), stream_suffix(stream), NULL);
	redisReply *r = redisCommand(s->ctx, "XGROUP CREATE %s %s 0 MKSTREAM", key,
				     stream_group(stream));
	if (r == NULL)
		return store_failed(s, r, "XGROUP CREATE");
	if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
		return store_failed(s, r, "XGROUP CREATE");
	freeReplyObject(r);
	return 0;
}

void store_entry_fill(store_stream_t stream, const struct redisReply *e, store_entry_t *out)
{
	const char *json_text = NULL;

	memset(out, 0, sizeof(*out));
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING) {
		out->problem = strdup("stream entry has an unexpected shape");
		return;
	}
	snprintf(out->id, sizeof(out->id), "%s", e->element[0]->str);
	const redisReply *fields = e->element[1];
	if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
		out->problem = strdup("stream entry fields are malformed");
		return;
	}
	for (size_t i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *f = fields->element[i], *v = fields->element[i + 1];
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(f->str, "v") == 0 && out->version == NULL)
			out->version = strdup(v->str);
		else if (strcmp(f->str, "job") == 0)
			json_text = v->str;
		else if (strcmp(f->str, "token") == 0 && out->token == NULL)
			out->token = strdup(v->str);
		else if (strcmp(f->str, "job_id") == 0 && out->job_id == NULL &&
			 store_id_ms(v->str) >= 0)
			out->job_id = strdup(v->str);
	}
	if (out->version == NULL || strcmp(out->version, STORE_RECORD_VERSION) != 0) {
		char why[128];
		snprintf(why, sizeof(why), "entry version \"%.40s\" is not %s",
			 out->version ? out->version : "(none)", STORE_RECORD_VERSION);
		out->problem = strdup(why);
		return;
	}
	if (stream == STORE_STREAM_JOBS) {
		json_error_t jerr;
		if (json_text == NULL) {
			out->problem = strdup("job entry has no \"job\" field");
			return;
		}
		out->job = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
		if (out->job == NULL) {
			char why[256];
			snprintf(why, sizeof(why), "job is not valid JSON: %s (line %d)", jerr.text,
				 jerr.line);
			out->problem = strdup(why);
		}
	} else if (out->token == NULL) {
		out->problem = strdup("report entry has no \"token\" field");
	}
}

int store_read(store_t *s, store_stream_t stream, const char *consumer, long long block_ms,
	       store_entry_t *out)
{
	char key[256];

	memset(out, 0, sizeof(*out));
	if (store_group_ensure(s, stream) != 0)
		return -1;
	store_key(s, key, sizeof(key), stream_suffix(stream), NULL);
	redisSetTimeout(s->ctx, ms_to_tv(block_ms + s->timeout_ms));
	redisReply *r = redisCommand(s->ctx, "XREADGROUP GROUP %s %s COUNT 1 BLOCK %lld STREAMS %s >",
				     stream_group(stream), consumer, block_ms, key);
	redisSetTimeout(s->ctx, ms_to_tv(s->timeout_ms));
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return store_failed(s, r, "XREADGROUP");
	if (r->type == REDIS_REPLY_NIL) {
		freeReplyObject(r);
		return 0;
	}
	/* [[key, [entry]]] */
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2 ||
	    r->element[0]->element[1]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->element[1]->elements < 1)
		return store_failed(s, r, "XREADGROUP");
	store_entry_fill(stream, r->element[0]->element[1]->element[0], out);
	out->deliveries = 1;
	freeReplyObject(r);
	if (out->id[0] == '\0') {
		snprintf(s->error, sizeof(s->error), "XREADGROUP: %s", out->problem);
		store_entry_clear(out);
		return -1;
	}
	return 1;
}

/* entry_deliveries - how often entry id has been delivered (XPENDING):
 * the count, 0 when the entry is no longer pending, -1 when Redis failed.
 * Never a guess: a count made up on failure (1, say) would keep an entry
 * that always fails from ever reaching the dead letters. */
static long long entry_deliveries(store_t *s, const char *key, const char *group, const char *id)
{
	redisReply *r = redisCommand(s->ctx, "XPENDING %s %s %s %s 1", key, group, id, id);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1 ||
	    r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 4 ||
	    r->element[0]->element[3]->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "XPENDING");
	long long n = r->element[0]->element[3]->integer;
	freeReplyObject(r);
	return n;
}

int store_claim_stale(store_t *s, store_stream_t stream, const char *consumer,
		      long long min_idle_ms, store_entry_t *out)
{
	char key[256];

	memset(out, 0, sizeof(*out));
	if (store_group_ensure(s, stream) != 0)
		return -1;
	store_key(s, key, sizeof(key), stream_suffix(stream), NULL);
	redisReply *r = redisCommand(s->ctx, "XAUTOCLAIM %s %s %s %lld 0-0 COUNT 1", key,
				     stream_group(stream), consumer, min_idle_ms);
	/* [next-start, [[id, fields]...], [deleted ids]] (Redis 7) */
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY)
		return store_failed(s, r, "XAUTOCLAIM");
	if (r->element[1]->elements == 0) {
		freeReplyObject(r);
		return 0;
	}
	const redisReply *e = r->element[1]->element[0];
	if (e->type == REDIS_REPLY_ARRAY && e->elements == 2 &&
	    e->element[1]->type == REDIS_REPLY_NIL && e->element[0]->type == REDIS_REPLY_STRING) {
		/* The entry was trimmed away while pending: nothing to redo. */
		char id[64];
		snprintf(id, sizeof(id), "%s", e->element[0]->str);
		freeReplyObject(r);
		store_ack(s, stream, id);
		return 0;
	}
	store_entry_fill(stream, e, out);
	freeReplyObject(r);
	if (out->id[0] == '\0') {
		snprintf(s->error, sizeof(s->error), "XAUTOCLAIM: %s", out->problem);
		store_entry_clear(out);
		return -1;
	}
	out->deliveries = entry_deliveries(s, key, stream_group(stream), out->id);
	if (out->deliveries > 0)
		return 1;
	/* Failed: the entry stays pending (now ours) and is taken over again
	 * after the idle time, when its count is read anew. Not pending any
	 * more (acknowledged meanwhile): nothing to redo. */
	int rc = out->deliveries < 0 ? -1 : 0;
	store_entry_clear(out);
	return rc;
}

int store_dead_letter(store_t *s, store_stream_t stream, const store_entry_t *e,
		      const char *reason)
{
	char key[256];
	char *job = e->job ? json_dumps(e->job, JSON_COMPACT) : NULL;
	store_key(s, key, sizeof(key), "dead", NULL);
	redisReply *r = redisCommand(s->ctx, "XADD %s * from %s id %s reason %s deliveries %lld "
				     "job %s token %s", key, stream_suffix(stream), e->id, reason,
				     e->deliveries, job ? job : "", e->token ? e->token : "");
	free(job);
	if (r == NULL || r->type != REDIS_REPLY_STRING)
		return store_failed(s, r, "XADD dead");
	freeReplyObject(r);
	return store_ack(s, stream, e->id);
}

int store_job_token(store_t *s, const char *job_id, char *token, size_t len, long long ttl_ms)
{
	char key[256];
	store_key(s, key, sizeof(key), "jobtoken:", job_id);
	redisReply *r = redisCommand(s->ctx, "SET %s %s NX GET PX %lld", key, token, ttl_ms);
	if (r == NULL || (r->type != REDIS_REPLY_NIL && r->type != REDIS_REPLY_STRING))
		return store_failed(s, r, "SET jobtoken");
	if (r->type == REDIS_REPLY_STRING)
		snprintf(token, len, "%s", r->str);	/* given before: reuse it */
	freeReplyObject(r);
	return 0;
}

int store_replied_exists(store_t *s, const char *token)
{
	char key[256];
	store_key(s, key, sizeof(key), "replied:", token);
	redisReply *r = redisCommand(s->ctx, "EXISTS %s", key);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "EXISTS replied");
	int found = r->integer > 0;
	freeReplyObject(r);
	return found;
}

void store_entry_clear(store_entry_t *e)
{
	if (e == NULL)
		return;
	free(e->version);
	free(e->token);
	free(e->job_id);
	free(e->problem);
	if (e->job)
		json_decref(e->job);
	memset(e, 0, sizeof(*e));
}

int store_ack(store_t *s, store_stream_t stream, const char *id)
{
	char key[256];
	store_key(s, key, sizeof(key), stream_suffix(stream), NULL);
	redisReply *r = redisCommand(s->ctx, "XACK %s %s %s", key, stream_group(stream), id);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "XACK");
	freeReplyObject(r);
	return 0;
}

int store_result_put(store_t *s, const char *token, const json_t *report, long long ttl_ms)
{
	char key[256];
	char *text = json_dumps(report, JSON_COMPACT);
	if (text == NULL) {
		snprintf(s->error, sizeof(s->error), "report cannot be encoded as JSON");
		return -1;
	}
	store_key(s, key, sizeof(key), "result:", token);
	redisReply *r = redisCommand(s->ctx, "SET %s %s PX %lld", key, text, ttl_ms);
	free(text);
	if (r == NULL || r->type != REDIS_REPLY_STATUS)
		return store_failed(s, r, "SET result");
	freeReplyObject(r);
	return 0;
}

int store_result_get(store_t *s, const char *token, char **out)
{
	char key[256];
	*out = NULL;
	store_key(s, key, sizeof(key), "result:", token);
	redisReply *r = redisCommand(s->ctx, "GET %s", key);
	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL))
		return store_failed(s, r, "GET result");
	int found = r->type == REDIS_REPLY_STRING;
	if (found && (*out = strdup(r->str)) == NULL) {
		freeReplyObject(r);
		snprintf(s->error, sizeof(s->error), "out of memory");
		return -1;
	}
	freeReplyObject(r);
	return found;
}

int store_mark_replied(store_t *s, const char *token, long long ttl_ms)
{
	char key[256];
	store_key(s, key, sizeof(key), "replied:", token);
	redisReply *r = redisCommand(s->ctx, "SET %s 1 NX PX %lld", key, ttl_ms);
	if (r == NULL || (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL))
		return store_failed(s, r, "SET replied");
	int first = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	return first;
}

/* One round trip, atomic in Redis: take the claim when free, renew it
 * when it is already ours, else name its holder. */
static const char claim_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == false or v == ARGV[1] then "
	"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return {1, ARGV[1]} end "
	"return {0, v}";
static const char release_script[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
	"return 0";

int store_claim_reply(store_t *s, const char *token, const char *holder, long long ttl_ms,
		      char *other, size_t otherlen)
{
	char key[256], ttl[32];
	store_key(s, key, sizeof(key), "sending:", token);
	snprintf(ttl, sizeof(ttl), "%lld", ttl_ms > 0 ? ttl_ms : 1);
	redisReply *r = redisCommand(s->ctx, "EVAL %s 1 %s %s %s", claim_script, key, holder, ttl);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_STRING)
		return store_failed(s, r, "EVAL claim reply");
	int mine = r->element[0]->integer == 1;
	if (other && otherlen)
		snprintf(other, otherlen, "%s", r->element[1]->str);
	freeReplyObject(r);
	return mine;
}

int store_release_reply(store_t *s, const char *token, const char *holder)
{
	char key[256];
	store_key(s, key, sizeof(key), "sending:", token);
	redisReply *r = redisCommand(s->ctx, "EVAL %s 1 %s %s", release_script, key, holder);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "EVAL release reply");
	freeReplyObject(r);
	return 0;
}

int store_count(store_t *s, const char *name)
{
	char key[256];
	store_key(s, key, sizeof(key), "count:", name);
	redisReply *r = redisCommand(s->ctx, "INCR %s", key);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "INCR");
	freeReplyObject(r);
	return 0;
}

int store_counter(store_t *s, const char *name, long long *out)
{
	char key[256];
	store_key(s, key, sizeof(key), "count:", name);
	redisReply *r = redisCommand(s->ctx, "GET %s", key);
	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL))
		return store_failed(s, r, "GET counter");
	*out = r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
	freeReplyObject(r);
	return 0;
}

int store_rate_count(store_t *s, const char *kind, const char *value, long long window_ms,
		     long long *count)
{
	char key[700];
	snprintf(key, sizeof(key), "%srate:%s:%s", s->prefix, kind, value);
	/* Created with the window's expiry, then counted: INCR keeps the TTL. */
	redisAppendCommand(s->ctx, "SET %s 0 PX %lld NX", key, window_ms);
	redisAppendCommand(s->ctx, "INCR %s", key);
	redisReply *set = NULL, *incr = NULL;
	if (redisGetReply(s->ctx, (void **)&set) != REDIS_OK || set == NULL ||
	    set->type == REDIS_REPLY_ERROR) {
		store_failed(s, set, "SET rate");
		if (s->ctx->err)
			return -1;
		(void)redisGetReply(s->ctx, (void **)&incr);
		freeReplyObject(incr);
		return -1;
	}
	freeReplyObject(set);
	if (redisGetReply(s->ctx, (void **)&incr) != REDIS_OK || incr == NULL ||
	    incr->type != REDIS_REPLY_INTEGER)
		return store_failed(s, incr, "INCR rate");
	*count = incr->integer;
	freeReplyObject(incr);
	return 0;
}

/* Atomic take of a slot: drop holders older than the hold time (by
 * Redis's clock, the same for every process), then join if there is room. */
static const char slot_take_lua[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))\n"
	"if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end\n"
	"redis.call('ZADD', KEYS[1], now, ARGV[1])\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
	"return 1\n";

int store_slot_take(store_t *s, const char *key, const char *holder, int max, long long hold_ms)
{
	char k[600];
	snprintf(k, sizeof(k), "%sslot:%s", s->prefix, key);
	redisReply *r = redisCommand(s->ctx, "EVAL %s 1 %s %s %d %lld", slot_take_lua, k, holder, max,
				     hold_ms);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "EVAL slot take");
	int taken = r->integer == 1;
	freeReplyObject(r);
	return taken;
}

int store_slot_give(store_t *s, const char *key, const char *holder)
{
	char k[600];
	snprintf(k, sizeof(k), "%sslot:%s", s->prefix, key);
	redisReply *r = redisCommand(s->ctx, "ZREM %s %s", k, holder);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "ZREM slot");
	freeReplyObject(r);
	return 0;
}

int store_cache_put(store_t *s, const char *key, const json_t *value, long long ttl_ms)
{
	char k[1100];
	char *text = json_dumps(value, JSON_COMPACT);
	if (text == NULL) {
		snprintf(s->error, sizeof(s->error), "cache %s: value does not serialize", key);
		return -1;
	}
	snprintf(k, sizeof(k), "%scache:%s", s->prefix, key);
	redisReply *r = redisCommand(s->ctx, "SET %s %s PX %lld", k, text, ttl_ms);
	free(text);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return store_failed(s, r, "SET cache");
	freeReplyObject(r);
	return 0;
}

int store_cache_get(store_t *s, const char *key, char **out)
{
	char k[1100];
	snprintf(k, sizeof(k), "%scache:%s", s->prefix, key);
	redisReply *r = redisCommand(s->ctx, "GET %s", k);
	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL))
		return store_failed(s, r, "GET cache");
	int found = r->type == REDIS_REPLY_STRING;
	*out = found ? strndup(r->str, r->len) : NULL;
	freeReplyObject(r);
	return found;
}

const long long store_hist_bounds_ms[STORE_HIST_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000,
};

int store_observe(store_t *s, const char *name, long long value_ms)
{
	char key[256], field[32] = "inf";
	if (value_ms < 0)
		value_ms = 0;
	for (size_t i = 0; i < STORE_HIST_BUCKETS; i++)
		if (value_ms <= store_hist_bounds_ms[i]) {
			snprintf(field, sizeof(field), "le_%lld", store_hist_bounds_ms[i]);
			break;
		}
	store_key(s, key, sizeof(key), "hist:", name);
	/* One round trip; MULTI so a reader never sees count without its bucket. */
	redisAppendCommand(s->ctx, "MULTI");
	redisAppendCommand(s->ctx, "HINCRBY %s %s 1", key, field);
	redisAppendCommand(s->ctx, "HINCRBY %s count 1", key);
	redisAppendCommand(s->ctx, "HINCRBY %s sum_ms %lld", key, value_ms);
	redisAppendCommand(s->ctx, "EXEC");
	int rc = 0;
	for (int i = 0; i < 5; i++) {
		redisReply *r = NULL;
		if (redisGetReply(s->ctx, (void **)&r) != REDIS_OK || r == NULL ||
		    r->type == REDIS_REPLY_ERROR) {
			store_failed(s, r, "HINCRBY histogram");
			if (s->ctx->err)
				return -1;	/* the connection is gone: no more replies */
			rc = -1;
			continue;
		}
		freeReplyObject(r);
	}
	return rc;
}

int store_histogram(store_t *s, const char *name, store_histogram_t *out)
{
	char key[256];
	memset(out, 0, sizeof(*out));
	store_key(s, key, sizeof(key), "hist:", name);
	redisReply *r = redisCommand(s->ctx, "HGETALL %s", key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return store_failed(s, r, "HGETALL histogram");
	long long own[STORE_HIST_BUCKETS] = { 0 };
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		long long n = atoll(v->str);
		if (strcmp(f->str, "count") == 0)
			out->count = n;
		else if (strcmp(f->str, "sum_ms") == 0)
			out->sum_ms = n;
		else if (strncmp(f->str, "le_", 3) == 0)
			for (size_t k = 0; k < STORE_HIST_BUCKETS; k++)
				if (atoll(f->str + 3) == store_hist_bounds_ms[k])
					own[k] = n;
	}
	freeReplyObject(r);
	long long run = 0;
	for (size_t k = 0; k < STORE_HIST_BUCKETS; k++)
		out->bucket[k] = run += own[k];
	return 0;
}

/* reply_int - an integer field of a flat [name, value, ...] reply, or -1. */
static long long reply_int(const redisReply *map, const char *name)
{
	for (size_t i = 0; i + 1 < map->elements; i += 2) {
		const redisReply *f = map->element[i], *v = map->element[i + 1];
		if (f->type == REDIS_REPLY_STRING && strcmp(f->str, name) == 0)
			return v->type == REDIS_REPLY_INTEGER ? v->integer : -1;
	}
	return -1;
}

long long store_id_ms(const char *id)
{
	char *end;
	if (id == NULL || *id < '0' || *id > '9')
		return -1;
	long long v = strtoll(id, &end, 10);
	return *end == '-' && v >= 0 ? v : -1;
}

/* queue_oldest - age of the oldest entry the group has not acknowledged:
 * the first pending one, or the first after last_delivered (NULL: the
 * group does not exist, so every entry waits). Stream ids carry Redis's
 * clock, so "now" is Redis's TIME too. */
static int queue_oldest(store_t *s, const char *key, const char *group,
			const char *last_delivered, long long *age)
{
	long long oldest = -1;
	redisReply *r;
	*age = -1;
	if (last_delivered != NULL) {
		r = redisCommand(s->ctx, "XPENDING %s %s", key, group);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return store_failed(s, r, "XPENDING");
		if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
		    r->element[1]->type == REDIS_REPLY_STRING)
			oldest = store_id_ms(r->element[1]->str);
		freeReplyObject(r);
	}
	r = redisCommand(s->ctx, "XRANGE %s (%s + COUNT 1", key,
			 last_delivered ? last_delivered : "0-0");
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return store_failed(s, r, "XRANGE");
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 1 &&
	    r->element[0]->element[0]->type == REDIS_REPLY_STRING) {
		long long ms = store_id_ms(r->element[0]->element[0]->str);
		if (ms >= 0 && (oldest < 0 || ms < oldest))
			oldest = ms;
	}
	freeReplyObject(r);
	if (oldest < 0)
		return 0;
	r = redisCommand(s->ctx, "TIME");
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
		return store_failed(s, r, "TIME");
	long long now = atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000;
	freeReplyObject(r);
	*age = now > oldest ? now - oldest : 0;
	return 0;
}

int store_queue_info(store_t *s, store_stream_t stream, store_queue_info_t *out)
{
	char key[256];
	memset(out, 0, sizeof(*out));
	out->lag = -1;
	out->oldest_age_ms = -1;
	store_key(s, key, sizeof(key), stream_suffix(stream), NULL);
	redisReply *r = redisCommand(s->ctx, "XLEN %s", key);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "XLEN");
	out->length = r->integer;
	freeReplyObject(r);
	char dead[256];
	store_key(s, dead, sizeof(dead), "dead", NULL);
	r = redisCommand(s->ctx, "XLEN %s", dead);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		return store_failed(s, r, "XLEN dead");
	out->dead = r->integer;
	freeReplyObject(r);
	r = redisCommand(s->ctx, "XINFO GROUPS %s", key);
	if (r == NULL)
		return store_failed(s, r, "XINFO GROUPS");
	if (r->type == REDIS_REPLY_ERROR) {
		/* No stream yet: nothing queued, nobody consuming. */
		freeReplyObject(r);
		out->lag = out->length;
		return out->length > 0 ? queue_oldest(s, key, NULL, NULL, &out->oldest_age_ms) : 0;
	}
	char last[64] = "";
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *g = r->element[i];
		if (g->type != REDIS_REPLY_ARRAY)
			continue;
		for (size_t k = 0; k + 1 < g->elements; k += 2) {
			if (g->element[k]->type == REDIS_REPLY_STRING &&
			    strcmp(g->element[k]->str, "name") == 0 &&
			    g->element[k + 1]->type == REDIS_REPLY_STRING &&
			    strcmp(g->element[k + 1]->str, stream_group(stream)) == 0) {
				out->pending = reply_int(g, "pending");
				out->lag = reply_int(g, "lag");
				out->consumers = reply_int(g, "consumers");
				for (size_t f = 0; f + 1 < g->elements; f += 2)
					if (g->element[f]->type == REDIS_REPLY_STRING &&
					    strcmp(g->element[f]->str, "last-delivered-id") == 0 &&
					    g->element[f + 1]->type == REDIS_REPLY_STRING)
						snprintf(last, sizeof(last), "%s", g->element[f + 1]->str);
			}
		}
	}
	freeReplyObject(r);
	return queue_oldest(s, key, stream_group(stream), last[0] ? last : NULL, &out->oldest_age_ms);
}
