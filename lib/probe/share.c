/*
 * share.c - the probe's shared store and its lock (see share.h).
 */
#include <pthread.h>

#include "base/clock.h"
#include "base/log.h"
#include "probe/share.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const mxray_config_t *share_cfg;
static store_t *shared;
static long long last_complaint = -60000, last_connect = -1000;

void probe_share(const mxray_config_t *cfg)
{
	pthread_mutex_lock(&lock);
	share_cfg = cfg;
	store_free(shared);
	shared = NULL;
	last_connect = clock_ms() - 1000;	/* a new configuration connects at once */
	pthread_mutex_unlock(&lock);
}

store_t *probe_share_begin(void)
{
	pthread_mutex_lock(&lock);
	if (shared != NULL && store_broken(shared)) {
		store_free(shared);
		shared = NULL;
	}
	if (shared == NULL && share_cfg != NULL && clock_ms() - last_connect >= 1000) {
		char err[512];
		last_connect = clock_ms();
		shared = store_connect(share_cfg, 1000, err, sizeof(err));
		if (shared == NULL && clock_ms() - last_complaint >= 60000) {
			last_complaint = clock_ms();
			log_warn("probe state not shared with other mxray processes: %s", err);
		}
	}
	if (shared == NULL)
		pthread_mutex_unlock(&lock);
	return shared;
}

void probe_share_end(void)
{
	pthread_mutex_unlock(&lock);
}

void probe_share_complain(store_t *st, const char *what)
{
	if (clock_ms() - last_complaint < 60000)
		return;
	last_complaint = clock_ms();
	log_warn("%s not shared with other mxray processes: %s", what, store_last_error(st));
}
