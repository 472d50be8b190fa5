/*
 * config.c - reading mxray.conf into an mxray_config_t (see config.h).
 *
 * One table names every key, its section and its kind; defaults are set
 * before the file is read. Unknown keys and malformed values are errors
 * with the file and line, so a typo never silently falls back.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/ini.h"
#include "base/text.h"
#include "mail/config.h"

typedef enum config_kind {
	CK_STRING,		/* char * */
	CK_DURATION,		/* long long milliseconds */
	CK_PORT,		/* int 1..65535 */
	CK_COUNT,		/* int 1..1000 */
	CK_SIZE,		/* long long 1..2^40, "64k", "10M", "1G" (powers of 1024) */
	CK_LOGDEST,		/* log_dest_t */
	CK_NETWORKS,		/* allow_networks: text + parsed list */
	CK_ADDRESSES,		/* char ** list of test addresses */
} config_kind_t;

typedef struct config_key {
	const char *section;
	const char *key;
	config_kind_t kind;
	size_t offset;
	const char *fallback;	/* the default, as text in the file's syntax */
} config_key_t;

#define K(sec, key, kind, field, def) { sec, key, kind, offsetof(mxray_config_t, field), def }

static const config_key_t config_keys[] = {
	K("log", "destination", CK_LOGDEST, log_dest, "syslog"),
	K("redis", "address", CK_STRING, redis_address, "127.0.0.1:6379"),
	K("redis", "key_prefix", CK_STRING, key_prefix, "mxray:"),
	K("redis", "reclaim_idle", CK_DURATION, reclaim_idle_ms, "10m"),
	K("redis", "max_deliveries", CK_COUNT, max_deliveries, "5"),
	K("dns", "resolver", CK_STRING, dns_resolver, "recursive"),
	K("dns", "root_hints", CK_STRING, dns_root_hints, "/usr/share/dns/root.hints"),
	K("dns", "trust_anchor", CK_STRING, dns_trust_anchor, "/usr/share/dns/root.key"),
	K("dns", "timeout", CK_DURATION, dns_timeout_ms, "15s"),
	K("probe", "allow_networks", CK_NETWORKS, allow_networks_text, ""),
	K("probe", "ca_file", CK_STRING, ca_file, "/etc/ssl/certs/ca-certificates.crt"),
	K("probe", "helo_name", CK_STRING, helo_name, ""),
	K("probe", "smtp_port", CK_PORT, smtp_port, "25"),
	K("probe", "max_mx", CK_COUNT, max_mx, "10"),
	K("probe", "connections_per_address", CK_COUNT, connections_per_address, "3"),
	K("probe", "connect_timeout", CK_DURATION, connect_timeout_ms, "10s"),
	K("probe", "greeting_timeout", CK_DURATION, greeting_timeout_ms, "30s"),
	K("probe", "command_timeout", CK_DURATION, command_timeout_ms, "30s"),
	K("probe", "tls_timeout", CK_DURATION, tls_timeout_ms, "30s"),
	K("probe", "job_deadline", CK_DURATION, job_deadline_ms, "180s"),
	K("probe", "tls_scan", CK_STRING, tls_scan, "yes"),
	K("probe", "reuse_results", CK_DURATION, reuse_results_ms, "5m"),
	K("milter", "socket", CK_STRING, milter_socket, "inet:8891@127.0.0.1"),
	K("milter", "test_addresses", CK_ADDRESSES, test_addresses, ""),
	K("milter", "user", CK_STRING, milter_user, ""),
	K("milter", "reply_policy", CK_STRING, milter_reply_policy, "authenticated"),
	K("milter", "rate_window", CK_DURATION, rate_window_ms, "1h"),
	K("milter", "rate_per_sender", CK_COUNT, rate_per_sender, "10"),
	K("milter", "rate_per_domain", CK_COUNT, rate_per_domain, "50"),
	K("milter", "rate_per_network", CK_COUNT, rate_per_network, "50"),
	K("milter", "dnsbl", CK_STRING, milter_dnsbl, "zen.spamhaus.org bl.spamcop.net"),
	K("milter", "max_headers", CK_SIZE, max_headers, "1000"),
	K("milter", "max_header_bytes", CK_SIZE, max_header_bytes, "64k"),
	K("milter", "max_body_bytes", CK_SIZE, max_body_bytes, "10M"),
	K("worker", "consumer", CK_STRING, consumer_name, ""),
	K("worker", "user", CK_STRING, worker_user, ""),
	K("worker", "jobs", CK_COUNT, worker_jobs, "8"),
	K("report", "base_url", CK_STRING, base_url, "http://localhost:8080"),
	K("report", "ttl", CK_DURATION, report_ttl_ms, "72h"),
	K("http", "listen", CK_STRING, http_listen, "127.0.0.1:8080"),
	K("http", "user", CK_STRING, reporter_user, ""),
	K("http", "api_check", CK_STRING, http_api_check, "off"),
	K("http", "api_check_rate", CK_COUNT, http_api_check_rate, "10"),
	K("mail", "from", CK_STRING, mail_from, "mxray <mxray@localhost>"),
	K("mail", "submit", CK_STRING, mail_submit, "sendmail:/usr/sbin/sendmail"),
	K("mail", "dkim_key", CK_STRING, mail_dkim_key, ""),
	K("mail", "dkim_selector", CK_STRING, mail_dkim_selector, ""),
	K("mail", "dkim_domain", CK_STRING, mail_dkim_domain, ""),
};

#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static void free_addresses(char **list)
{
	if (list == NULL)
		return;
	for (char **p = list; *p; p++)
		free(*p);
	free(list);
}

/* parse_addresses - "a@b, @c d@e" into a NULL-terminated lowercase list. */
static char **parse_addresses(const char *value, char *err, size_t errlen)
{
	char *copy = strdup(value);
	size_t n = 0;
	char **list = calloc(strlen(value) / 2 + 2, sizeof(*list));
	if (copy == NULL || list == NULL) {
		free(copy);
		free(list);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char *save = NULL;
	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		const char *at = strchr(t, '@');
		if (at == NULL || at[1] == '\0' || strchr(at + 1, '@') != NULL) {
			snprintf(err, errlen, "\"%s\" is not user@domain or @domain", t);
			free(copy);
			free_addresses(list);
			return NULL;
		}
		list[n++] = text_lower(strdup(t));
	}
	free(copy);
	return list;
}

static int config_set(mxray_config_t *cfg, const config_key_t *k, const char *value,
		      char *err, size_t errlen)
{
	void *field = (char *)cfg + k->offset;
	long v;
	char *end;

	switch (k->kind) {
	case CK_STRING:
		free(*(char **)field);
		*(char **)field = strdup(value);
		return 0;
	case CK_DURATION:
		if (duration_parse_ms(value, (long long *)field) != 0) {
			snprintf(err, errlen, "\"%s\" is not a duration (e.g. 500ms, 10s, 5m, 72h)",
				 value);
			return -1;
		}
		return 0;
	case CK_PORT:
	case CK_COUNT:
		v = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || v < 1 ||
		    v > (k->kind == CK_PORT ? 65535 : 1000)) {
			snprintf(err, errlen, "\"%s\" is not a whole number from 1 to %d", value,
				 k->kind == CK_PORT ? 65535 : 1000);
			return -1;
		}
		*(int *)field = (int)v;
		return 0;
	case CK_SIZE: {
		long long n = strtoll(value, &end, 10), unit = 1;
		if (*end == 'k' || *end == 'K')
			unit = 1024, end++;
		else if (*end == 'M')
			unit = 1024 * 1024, end++;
		else if (*end == 'G')
			unit = 1024 * 1024 * 1024, end++;
		if (*value == '\0' || *end != '\0' || n < 1 || n > (1LL << 40) / unit) {
			snprintf(err, errlen, "\"%s\" is not a size from 1 to 1024G (e.g. 1000, 64k, 10M)",
				 value);
			return -1;
		}
		*(long long *)field = n * unit;
		return 0;
	}
	case CK_LOGDEST:
		if (strcmp(value, "syslog") == 0)
			cfg->log_dest = LOG_DEST_SYSLOG;
		else if (strcmp(value, "stderr") == 0)
			cfg->log_dest = LOG_DEST_STDERR;
		else {
			snprintf(err, errlen, "\"%s\" is neither syslog nor stderr", value);
			return -1;
		}
		return 0;
	case CK_NETWORKS: {
		netrange_list_t list;
		if (netrange_list_parse(value, &list, err, errlen) != 0)
			return -1;
		netrange_list_free(&cfg->allow_networks);
		cfg->allow_networks = list;
		free(cfg->allow_networks_text);
		cfg->allow_networks_text = strdup(value);
		return 0;
	}
	case CK_ADDRESSES: {
		char **list = parse_addresses(value, err, errlen);
		if (list == NULL)
			return -1;
		free_addresses(cfg->test_addresses);
		cfg->test_addresses = list;
		return 0;
	}
	}
	snprintf(err, errlen, "internal: unknown key kind");
	return -1;
}

static int config_handler(void *arg, const char *section, const char *key, const char *value,
			  char *err, size_t errlen)
{
	mxray_config_t *cfg = arg;
	int section_known = 0;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(config_keys[i].section, section) != 0)
			continue;
		section_known = 1;
		if (strcmp(config_keys[i].key, key) == 0)
			return config_set(cfg, &config_keys[i], value, err, errlen);
	}
	snprintf(err, errlen, section_known ? "unknown key (see conf/mxray.conf for every key)"
					    : "unknown section (see conf/mxray.conf)");
	return -1;
}

static int config_defaults(mxray_config_t *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++)
		if (config_set(cfg, &config_keys[i], config_keys[i].fallback, err, errlen) != 0)
			return -1;
	return 0;
}

/* config_finish - derived defaults and checks across keys. */
static int config_finish(mxray_config_t *cfg, char *err, size_t errlen)
{
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (cfg->helo_name[0] == '\0') {
		free(cfg->helo_name);
		cfg->helo_name = strdup(host);
	}
	if (cfg->consumer_name[0] == '\0') {
		char name[300];
		snprintf(name, sizeof(name), "%s-%ld", host, (long)getpid());
		free(cfg->consumer_name);
		cfg->consumer_name = strdup(name);
	}
	size_t n = strlen(cfg->base_url);
	while (n > 0 && cfg->base_url[n - 1] == '/')
		cfg->base_url[--n] = '\0';
	if (strcmp(cfg->dns_resolver, "recursive") != 0 &&
	    strncmp(cfg->dns_resolver, "forward:", 8) != 0) {
		snprintf(err, errlen, "%s: [dns] resolver: \"%s\" is neither recursive nor "
			 "forward:IP[@PORT]", cfg->path ? cfg->path : "config", cfg->dns_resolver);
		return -1;
	}
	if (cfg->dns_timeout_ms <= 0) {
		snprintf(err, errlen, "%s: [dns] timeout must be more than 0 (every lookup would "
			 "fail at once)", cfg->path ? cfg->path : "config");
		return -1;
	}
	/* A live worker holds a job up to job_deadline; reclaiming sooner would
	 * run one test twice. */
	if (cfg->reclaim_idle_ms <= cfg->job_deadline_ms + 10000) {
		snprintf(err, errlen, "%s: [redis] reclaim_idle (%lld s) must exceed [probe] "
			 "job_deadline (%lld s) by at least 10 s, or live jobs get taken over",
			 cfg->path ? cfg->path : "config", cfg->reclaim_idle_ms / 1000,
			 cfg->job_deadline_ms / 1000);
		return -1;
	}
	if (strcmp(cfg->tls_scan, "yes") != 0 && strcmp(cfg->tls_scan, "no") != 0) {
		snprintf(err, errlen, "%s: [probe] tls_scan: \"%s\" is neither yes nor no",
			 cfg->path ? cfg->path : "config", cfg->tls_scan);
		return -1;
	}
	if (strcmp(cfg->http_api_check, "on") != 0 && strcmp(cfg->http_api_check, "off") != 0) {
		snprintf(err, errlen, "%s: [http] api_check: \"%s\" is neither on nor off",
			 cfg->path ? cfg->path : "config", cfg->http_api_check);
		return -1;
	}
	if (cfg->mail_dkim_key[0] != '\0' && cfg->mail_dkim_selector[0] == '\0') {
		snprintf(err, errlen, "%s: [mail] dkim_key is set but dkim_selector is empty",
			 cfg->path ? cfg->path : "config");
		return -1;
	}
	if (strncmp(cfg->mail_submit, "smtp://", 7) != 0 &&
	    strncmp(cfg->mail_submit, "smtps://", 8) != 0 &&
	    strncmp(cfg->mail_submit, "sendmail:", 9) != 0) {
		snprintf(err, errlen, "%s: [mail] submit: \"%s\" is neither smtp://HOST:PORT, "
			 "smtps://HOST:PORT nor sendmail:/PATH", cfg->path ? cfg->path : "config",
			 cfg->mail_submit);
		return -1;
	}
	return 0;
}

int config_load(const char *path, mxray_config_t *cfg, char *err, size_t errlen)
{
	if (config_defaults(cfg, err, errlen) != 0)
		return -1;
	cfg->path = strdup(path);
	if (ini_parse_file(path, config_handler, cfg, err, errlen) != 0 ||
	    config_finish(cfg, err, errlen) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

int config_load_string(const char *text, mxray_config_t *cfg, char *err, size_t errlen)
{
	if (config_defaults(cfg, err, errlen) != 0)
		return -1;
	cfg->path = strdup("(string)");
	if (ini_parse_string(text, cfg->path, config_handler, cfg, err, errlen) != 0 ||
	    config_finish(cfg, err, errlen) != 0) {
		config_free(cfg);
		return -1;
	}
	return 0;
}

void config_free(mxray_config_t *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++) {
		void *field = (char *)cfg + config_keys[i].offset;
		if (config_keys[i].kind == CK_STRING || config_keys[i].kind == CK_NETWORKS) {
			free(*(char **)field);
			*(char **)field = NULL;
		}
	}
	free_addresses(cfg->test_addresses);
	cfg->test_addresses = NULL;
	netrange_list_free(&cfg->allow_networks);
	free(cfg->path);
	cfg->path = NULL;
}

const char *config_default_path(void)
{
	if (access(CONFIG_DEFAULT_PATH_TREE, R_OK) == 0)
		return CONFIG_DEFAULT_PATH_TREE;
	return CONFIG_DEFAULT_PATH_INSTALLED;
}

int config_key_at(size_t i, const char **section, const char **key, const char **fallback)
{
	if (i >= NKEYS)
		return -1;
	*section = config_keys[i].section;
	*key = config_keys[i].key;
	*fallback = config_keys[i].fallback;
	return 0;
}

int config_is_test_address(const mxray_config_t *cfg, const char *rcpt)
{
	if (cfg->test_addresses == NULL || rcpt == NULL)
		return 0;
	const char *at = strrchr(rcpt, '@');
	for (char **p = cfg->test_addresses; *p; p++) {
		if ((*p)[0] == '@') {
			if (at && strcasecmp(at, *p) == 0)
				return 1;
		} else if (strcasecmp(rcpt, *p) == 0) {
			return 1;
		}
	}
	return 0;
}
