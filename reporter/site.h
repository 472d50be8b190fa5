/*
 * site.h - mxray-reporter's web site: the report pages over libmicrohttpd.
 *
 * Routes (GET and HEAD only; any other method gets 405):
 *   /                  how to use the service
 *   /r/<token>         the report as an HTML page
 *   /r/<token>.json    the stored report JSON, as stored
 *   /healthz           "ok" when Redis answers, else 503
 * A malformed, unknown or expired token all get the same 404 page, so
 * tokens cannot be probed. Every response carries a strict CSP (no script
 * at all), nosniff, no-referrer and no-store.
 */
#ifndef MXRAY_REPORTER_SITE_H
#define MXRAY_REPORTER_SITE_H

#include <stddef.h>
#include "mail/config.h"

typedef struct site site_t;

/* site_start - listen on cfg->http_listen and serve from an internal
 * thread; NULL with the reason in err. cfg must outlive the site. */
site_t *site_start(const mxray_config_t *cfg, char *err, size_t errlen);
/* site_stop - stop serving, close the listener, free; NULL is fine. */
void site_stop(site_t *site);

#endif
