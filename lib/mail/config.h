/*
 * config.h - mxray's settings: one INI file, every key with a default.
 *
 * conf/mxray.conf documents every key; config_load rejects unknown
 * sections and keys and malformed values with "FILE:LINE: reason", so a
 * typo never silently falls back to a default. Durations are stored in
 * milliseconds. Strings are owned by the config (config_free).
 */
#ifndef MXRAY_MAIL_CONFIG_H
#define MXRAY_MAIL_CONFIG_H

#include <stddef.h>
#include "base/log.h"
#include "base/netaddr.h"

#define CONFIG_DEFAULT_PATH_TREE "conf/mxray.conf"
#define CONFIG_DEFAULT_PATH_INSTALLED "/etc/mxray/mxray.conf"

typedef struct mxray_config {
	char *path;

	/* [log] */
	log_dest_t log_dest;		/* destination = syslog | stderr */

	/* [redis] */
	char *redis_address;		/* host:port, [v6]:port or /unix/path */
	char *key_prefix;		/* "mxray:" */
	long long reclaim_idle_ms;	/* take over entries pending this long */
	int max_deliveries;		/* then move them to the dead letters */

	/* [dns] */
	char *dns_resolver;		/* "recursive" or "forward:IP[@PORT]" */
	char *dns_root_hints;
	char *dns_trust_anchor;
	long long dns_timeout_ms;	/* a lookup unanswered this long fails */

	/* [probe] */
	netrange_list_t allow_networks;	/* non-public ranges we may probe */
	char *allow_networks_text;
	char *ca_file;
	char *helo_name;		/* name we EHLO with */
	int smtp_port;			/* 25; tests may use others */
	int max_mx;
	int connections_per_address;	/* open at once to one MX address, all processes */
	long long connect_timeout_ms;
	long long greeting_timeout_ms;
	long long command_timeout_ms;
	long long tls_timeout_ms;
	long long job_deadline_ms;
	char *tls_scan;			/* "yes": scan every protocol and suite */
	long long reuse_results_ms;	/* reuse an address's result this long (0: never) */

	/* [milter] */
	char *milter_socket;		/* libmilter form: inet:PORT@HOST, unix:PATH */
	char **test_addresses;		/* NULL-terminated; "user@dom" or "@dom" */
	char *milter_user;		/* drop root to this user ("": stay) */
	char *milter_reply_policy;	/* "authenticated" or "any" */
	long long rate_window_ms;	/* test mails counted over this window */
	int rate_per_sender, rate_per_domain, rate_per_network;	/* then 450 4.7.1 */
	char *milter_dnsbl;		/* DNS blocklist zones, space-separated */
	long long max_headers;		/* header fields read of a test mail */
	long long max_header_bytes;	/* bytes of one field read */
	long long max_body_bytes;	/* body bytes hashed for DKIM */

	/* [worker] */
	char *consumer_name;		/* default host-pid */
	int worker_jobs;		/* jobs one worker process runs at once */
	char *worker_user;

	/* [report] */
	char *base_url;			/* no trailing slash */
	long long report_ttl_ms;

	/* [http] */
	char *http_listen;		/* host:port */
	char *reporter_user;		/* [http] user: the reporter's */
	char *http_api_check;		/* "on": POST /api/v1/check is served */
	int http_api_check_rate;	/* API checks per client address per hour */

	/* [mail] */
	char *mail_from;		/* From: of replies, "Name <addr>" or addr */
	char *mail_submit;		/* "smtp://host:port" or "sendmail:/path" */
	char *mail_dkim_key;		/* PEM private key file; "" = replies unsigned */
	char *mail_dkim_selector;	/* s= of the reply's signature */
	char *mail_dkim_domain;		/* d=; "" = the domain of [mail] from */
} mxray_config_t;

/* config_load - defaults, then the file; 0 ok, -1 with reason in err. */
int config_load(const char *path, mxray_config_t *cfg, char *err, size_t errlen);
/* config_load_string - the same from text in memory (tests, fuzzing). */
int config_load_string(const char *text, mxray_config_t *cfg, char *err, size_t errlen);
void config_free(mxray_config_t *cfg);
/* config_default_path - conf/mxray.conf if present here, else /etc/mxray/. */
const char *config_default_path(void);
/* config_key_at - the i-th key the code knows (documentation checks);
 * 0 with section/key/default set, -1 past the end. */
int config_key_at(size_t i, const char **section, const char **key, const char **fallback);
/* config_is_test_address - 1 if rcpt (any case) is one of test_addresses. */
int config_is_test_address(const mxray_config_t *cfg, const char *rcpt);

#endif
