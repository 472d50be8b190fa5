/*
 * addr_cache.c - the in-process result cache (see addr_cache.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "probe/addr_cache.h"

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
	return out;
}

void addr_cache_put(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
		    json_t *result)
{
	char key[320];
	const char *reason = json_string_value(json_object_get(result, "reason"));

	if (json_is_integer(json_object_get(result, "reused_age_ms")))
		return;	/* a reused result is not fresh evidence */
	json_object_set_new(result, "reused_age_ms", json_null());
	if (cfg->reuse_results_ms <= 0 || (reason && strstr(reason, "job deadline")))
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
