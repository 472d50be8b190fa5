/*
 * addr_cache.c - the result cache: in memory, and in Redis when the probe
 * shares a store (see addr_cache.h, share.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "probe/addr_cache.h"
#include "probe/share.h"

typedef struct entry {
	char key[320];
	long long at;		/* clock_ms() when probed */
	json_t *result;		/* owned; NULL = free slot */
} entry_t;

static entry_t cache[ADDR_CACHE_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void make_key(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
		     char *out, size_t len)
{
	char ip[NETADDR_STRLEN];
	netaddr_format(addr, ip, sizeof(ip));
	snprintf(out, len, "%.253s|%s|%d", host, ip, cfg->smtp_port);
}

/* wall_ms - the wall clock: ages in the shared cache are compared across
 * processes (and machines), where clock_ms() means nothing. */
static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* shared_get - another process's result for key, young enough; or NULL. */
static json_t *shared_get(const mxray_config_t *cfg, const char *key)
{
	char name[340], *text = NULL;
	snprintf(name, sizeof(name), "addr:%s", key);
	store_t *st = probe_share_begin();
	if (st == NULL)
		return NULL;
	int rc = store_cache_get(st, name, &text);
	if (rc < 0)
		probe_share_complain(st, "address results");
	probe_share_end();
	json_t *v = rc == 1 ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
	free(text);
	json_t *at = json_object_get(v, "at_ms"), *result = json_object_get(v, "result");
	json_t *out = NULL;
	long long age = json_is_integer(at) ? wall_ms() - json_integer_value(at) : -1;
	if (json_is_object(result) && age >= 0 && age < cfg->reuse_results_ms) {
		out = json_deep_copy(result);
		json_object_set_new(out, "reused_age_ms", json_integer(age));
	}
	json_decref(v);
	return out;
}

/* shared_put - offer a fresh result to the other processes. */
static void shared_put(const mxray_config_t *cfg, const char *key, const json_t *result)
{
	char name[340];
	snprintf(name, sizeof(name), "addr:%s", key);
	store_t *st = probe_share_begin();
	if (st == NULL)
		return;
	json_t *v = json_pack("{sI sO}", "at_ms", (json_int_t)wall_ms(), "result", result);
	if (v == NULL || store_cache_put(st, name, v, cfg->reuse_results_ms) != 0)
		probe_share_complain(st, "address results");
	probe_share_end();
	json_decref(v);
}

json_t *addr_cache_get(const mxray_config_t *cfg, const char *host, const netaddr_t *addr)
{
	char key[320];
	json_t *out = NULL;
	long long now = clock_ms();

	if (cfg->reuse_results_ms <= 0)
		return NULL;
	make_key(cfg, host, addr, key, sizeof(key));
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ADDR_CACHE_MAX; i++) {
		entry_t *e = &cache[i];
		if (e->result == NULL)
			continue;
		if (now - e->at >= cfg->reuse_results_ms) {
			json_decref(e->result);
			e->result = NULL;
			continue;
		}
		if (out == NULL && strcmp(e->key, key) == 0) {
			out = json_deep_copy(e->result);
			json_object_set_new(out, "reused_age_ms", json_integer(now - e->at));
		}
	}
	pthread_mutex_unlock(&lock);
	return out ? out : shared_get(cfg, key);
}

void addr_cache_put(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
		    json_t *result)
{
	char key[320];

	if (json_is_integer(json_object_get(result, "reused_age_ms")))
		return;	/* a reused result is not fresh evidence */
	json_object_set_new(result, "reused_age_ms", json_null());
	/* Cut short by our own limit (the job deadline, busy connection
	 * slots): says nothing about the server, so the next job tries again. */
	if (cfg->reuse_results_ms <= 0 || json_is_string(json_object_get(result, "mxray_limit")))
		return;
	make_key(cfg, host, addr, key, sizeof(key));
	pthread_mutex_lock(&lock);
	entry_t *slot = NULL;
	for (size_t i = 0; i < ADDR_CACHE_MAX; i++) {
		entry_t *e = &cache[i];
		if (e->result != NULL && strcmp(e->key, key) == 0) {
			slot = e;	/* replace the older result */
			break;
		}
		if (slot == NULL || (slot->result != NULL && (e->result == NULL || e->at < slot->at)))
			slot = e;
	}
	json_decref(slot->result);
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->at = clock_ms();
	slot->result = json_deep_copy(result);
	pthread_mutex_unlock(&lock);
	shared_put(cfg, key, result);
}

void addr_cache_clear(void)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < ADDR_CACHE_MAX; i++) {
		json_decref(cache[i].result);
		cache[i].result = NULL;
	}
	pthread_mutex_unlock(&lock);
}
