/*
 * status.c - `mxray status [-c FILE]`: queue depth, pending entries, lag,
 * consumers and the oldest unacknowledged entry's age of both Redis streams.
 *
 * Exit 0 when Redis answered, 1 when it could not be asked, 2 on usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "status.h"
#include "mail/config.h"
#include "mail/store.h"

static void status_usage(FILE *out)
{
	fprintf(out, "usage: mxray status [-c FILE]\n"
		     "  Prints the job and report queues in Redis: entries, pending\n"
		     "  (delivered, not yet acknowledged), lag (not yet delivered), consumers\n"
		     "  and the age of the oldest entry not yet acknowledged.\n");
}

static void status_print(const char *name, const store_queue_info_t *q)
{
	printf("%-8s entries %lld  pending %lld  lag ", name, q->length, q->pending);
	if (q->lag < 0)
		printf("unknown");
	else
		printf("%lld", q->lag);
	printf("  consumers %lld  oldest ", q->consumers);
	if (q->oldest_age_ms < 0)
		printf("none\n");
	else
		printf("%llds\n", q->oldest_age_ms / 1000);
}

int cli_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'h': status_usage(stdout); return 0;
		default: status_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		status_usage(stderr);
		return 2;
	}
	mxray_config_t cfg;
	char err[512];
	if (path == NULL)
		path = config_default_path();
	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mxray status: %s\n", err);
		return 1;
	}
	store_t *s = store_connect(&cfg, 3000, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "mxray status: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	store_queue_info_t jobs, reports;
	int rc = 0;
	if (store_queue_info(s, STORE_STREAM_JOBS, &jobs) != 0 ||
	    store_queue_info(s, STORE_STREAM_REPORTS, &reports) != 0) {
		fprintf(stderr, "mxray status: %s\n", store_last_error(s));
		rc = 1;
	} else {
		printf("redis    %s (prefix %s)\n", cfg.redis_address, cfg.key_prefix);
		status_print("jobs", &jobs);
		status_print("reports", &reports);
		printf("dead     entries %lld%s\n", jobs.dead,
		       jobs.dead ? "  (inspect with: redis-cli XRANGE <prefix>dead - +)" : "");
	}
	store_free(s);
	config_free(&cfg);
	return rc;
}
