/*
 * share.c - the probe's shared store and its lock (see share.h).
 */
#include <pthread.h>

#include "base/clock.h"
#include "base/log.h"
#include "probe/share.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static store_t *shared;
static long long last_complaint = -60000;

void probe_share(store_t *st)
{
	pthread_mutex_lock(&lock);
	shared = st;
	pthread_mutex_unlock(&lock);
}

store_t *probe_share_begin(void)
{
	pthread_mutex_lock(&lock);
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
