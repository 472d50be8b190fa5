/*
 * daemon.c - the privilege drop shared by mxray's daemons (see daemon.h).
 */
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/privdrop.h"
#include "mail/daemon.h"

int daemon_init(int argc, char **argv, const char *prog, void (*usage)(FILE *out),
		mxray_config_t *cfg)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	int verbose = 0, ch;
	char err[1024];

	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	log_init(prog, LOG_DEST_STDERR, verbose);
	if (path == NULL)
		path = config_default_path();
	if (config_load(path, cfg, err, sizeof(err)) != 0)
		log_fatal("config: %s", err);
	log_init(prog, cfg->log_dest, verbose);
	return -1;
}

volatile sig_atomic_t daemon_stopping;

static void daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stopping = 1;
}

void daemon_handle_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void daemon_sleep_ms(long long ms)
{
	while (ms > 0 && !daemon_stopping) {
		long long step = ms > 200 ? 200 : ms;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

#define DAEMON_CONNECT_TIMEOUT_MS 3000
#define DAEMON_BACKOFF_MAX_MS 30000

store_t *daemon_store_connect(const mxray_config_t *cfg, long long *backoff_ms)
{
	char err[512];
	store_t *s = store_connect(cfg, DAEMON_CONNECT_TIMEOUT_MS, err, sizeof(err));
	if (s != NULL) {
		if (*backoff_ms)
			log_info("redis %s: connected again", cfg->redis_address);
		*backoff_ms = 0;
		return s;
	}
	*backoff_ms = *backoff_ms ? *backoff_ms * 2 : 500;
	if (*backoff_ms > DAEMON_BACKOFF_MAX_MS)
		*backoff_ms = DAEMON_BACKOFF_MAX_MS;
	log_error("%s; retrying in %lld ms", err, *backoff_ms);
	daemon_sleep_ms(*backoff_ms);
	return NULL;
}

int daemon_next_entry(store_t *s, const mxray_config_t *cfg, store_stream_t stream,
		      long long block_ms, store_entry_t *e)
{
	const char *what = stream == STORE_STREAM_JOBS ? "job" : "reports entry";
	int rc = store_claim_stale(s, stream, cfg->consumer_name, cfg->reclaim_idle_ms, e);
	if (rc > 0)
		log_info("%s %s: taken over after %lld ms idle (delivery %lld)", what, e->id,
			 cfg->reclaim_idle_ms, e->deliveries);
	if (rc == 0)
		rc = store_read(s, stream, cfg->consumer_name, block_ms, e);
	if (rc <= 0 || e->deliveries <= cfg->max_deliveries)
		return rc;
	log_error("%s %s: failed %lld times, moved to the dead letters", what, e->id,
		  e->deliveries - 1);
	rc = store_dead_letter(s, stream, e, "too many deliveries");
	store_entry_clear(e);
	return rc == 0 ? 0 : -1;
}

void daemon_drop_privileges_limited(const char *user, const char *key, long long open_files)
{
	char err[512];
	int stay_root = user && strcmp(user, "root") == 0;

	if (privdrop_limits(open_files, err, sizeof(err)) != 0)
		log_fatal("limits: %s", err);
	if (geteuid() == 0 && (user == NULL || user[0] == '\0'))
		log_fatal("%s is empty and this daemon was started as root: set it to an "
			  "unprivileged user (e.g. useradd --system --no-create-home mxray; "
			  "the systemd units need none), or to root to run as root on purpose",
			  key);
	if (stay_root) {
		if (geteuid() != 0)
			log_fatal("%s is root but this daemon was not started as root", key);
		log_info("running as root, as %s = root asks", key);
		return;
	}
	if (privdrop_to(user, err, sizeof(err)) != 0)
		log_fatal("%s: %s", key, err);
	if (user && user[0])
		log_info("running as user %s", user);
}

