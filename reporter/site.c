/*
 * site.c - the report site of mxray-reporter (see site.h).
 *
 * Threading: libmicrohttpd runs every handler in its one internal polling
 * thread (MHD_USE_INTERNAL_POLLING_THREAD, no thread pool), so the site's
 * single store_t is only ever used by that thread. It is connected lazily
 * and dropped after any Redis error, to be reconnected on the next
 * request. A slow Redis therefore delays every page (bounded by
 * SITE_REDIS_TIMEOUT_MS): fine for one host, and the seam for a pool later.
 * Trusts nothing in the URL (only token_valid shapes reach Redis) nor in
 * the stored report (rendered through render.h, which escapes everything).
 * POST /api/v1/check (with [http] api_check = on) queues a domain-only
 * job; its argument is checked as a plain host name and the client's rate
 * is counted per address in this process (SITE_API_SLOTS addresses).
 * Limits: SITE_CONNECTION_LIMIT connections, SITE_PER_IP_LIMIT per client
 * address, SITE_IDLE_TIMEOUT_S idle seconds. Rendered reports are reused
 * for SITE_CACHE_TTL_S seconds (never past their expiry) from a small
 * direct-mapped cache of SITE_CACHE_SLOTS, also only touched by that thread.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "base/log.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "base/token.h"
#include "mail/record.h"
#include "mail/store.h"
#include "report/render.h"
#include "report/report_json.h"
#include "site.h"

#define SITE_REDIS_TIMEOUT_MS 2000
#define SITE_CONNECTION_LIMIT 256
#define SITE_PER_IP_LIMIT 32
#define SITE_IDLE_TIMEOUT_S 15
#define SITE_CACHE_SLOTS 64		/* rendered reports kept, direct-mapped */
#define SITE_CACHE_TTL_S 30		/* how long a rendered report is reused */
#define SITE_API_SLOTS 1024		/* client addresses tracked for the API rate */

/* A rendered report and its ready-made response (headers included), so a
 * page asked for again skips Redis, JSON parsing and rendering. A stored
 * report never changes under its token; the TTL bounds how long a report
 * deleted by hand keeps being served, and the report's own expiry is
 * checked on every hit. */
typedef struct site_cached {
	char key[TOKEN_BUFSIZE + 8];	/* "<token>" or "<token>.json" */
	struct MHD_Response *response;
	time_t until;			/* reuse before this */
} site_cached_t;

static const char site_csp[] =
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
	"form-action 'none'; frame-ancestors 'none'";

static const char site_style[] =
	"<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:0 auto;"
	"padding:1rem;line-height:1.5}code{font-size:1.05em}</style>";

struct site {
	const mxray_config_t *cfg;
	struct MHD_Daemon *daemon;
	store_t *store;			/* used only by the polling thread */
	struct sockaddr_storage addr;
	char *gone_page;		/* the one 404 page for every token */
	long long served;		/* reports served by this process */
	long long not_found;		/* unknown or expired tokens asked for */
	long long cache_hits;		/* reports answered from the cache */
	long long api_checks;		/* domain checks queued through the API */
	long long api_limited;		/* API checks refused by the rate limit */
	site_cached_t cache[SITE_CACHE_SLOTS];
	struct site_api_rate {
		char ip[64];
		long long hour;		/* the hour (since the epoch) counted */
		int count;
	} api_rate[SITE_API_SLOTS];
};

/* site_mhd_log - libmicrohttpd's own errors, into our log. */
static void site_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_error("http: %s", buf);
}

/* site_response - a response for body (malloc'd, taken) with our headers,
 * or NULL. */
static struct MHD_Response *site_response(unsigned status, const char *ctype, char *body,
					  const char *cache)
{
	if (body == NULL)
		return NULL;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body,
								 MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "Content-Security-Policy", site_csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Cache-Control", cache);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	return r;
}

/* site_respond - queue body (malloc'd, taken) with our headers. */
static enum MHD_Result site_respond(struct MHD_Connection *conn, unsigned status,
				    const char *ctype, char *body, const char *cache)
{
	struct MHD_Response *r = site_response(status, ctype, body, cache);
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* site_cache_slot - the slot key would live in (FNV-1a). */
static site_cached_t *site_cache_slot(site_t *site, const char *key)
{
	unsigned h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &site->cache[h % SITE_CACHE_SLOTS];
}

/* site_cache_put - keep r (a new reference is taken) for key until until. */
static void site_cache_put(site_t *site, const char *key, struct MHD_Response *r, time_t until)
{
	site_cached_t *c = site_cache_slot(site, key);
	if (c->response != NULL)
		MHD_destroy_response(c->response);	/* drops our reference only */
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->response = r;
	c->until = until;
}

static enum MHD_Result site_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	char *body = strdup(text);
	if (body == NULL)
		return MHD_NO;
	return site_respond(conn, status, "text/plain; charset=utf-8", body, "no-store");
}

/* site_page - a small HTML page around an already escaped fragment. */
static char *site_page(const char *title, const char *fragment)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_printf(&sb, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<title>%s</title>%s</head><body>\n<h1>%s</h1>\n%s</body></html>\n",
		      title, site_style, title, fragment);
	return strbuf_detach(&sb);
}

static enum MHD_Result site_gone(site_t *site, struct MHD_Connection *conn)
{
	site->not_found++;
	char *body = strdup(site->gone_page);
	if (body == NULL)
		return MHD_NO;
	return site_respond(conn, MHD_HTTP_NOT_FOUND, "text/html; charset=utf-8", body,
			    "no-store");
}

static enum MHD_Result site_unavailable(struct MHD_Connection *conn)
{
	return site_respond(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/html; charset=utf-8",
			    site_page("Temporarily unavailable",
				      "<p>The report store cannot be reached right now. "
				      "Please try again in a minute.</p>\n"), "no-store");
}

/* site_store - the thread's Redis connection, connecting when needed. */
static store_t *site_store(site_t *site)
{
	char err[512];
	if (site->store == NULL) {
		site->store = store_connect(site->cfg, SITE_REDIS_TIMEOUT_MS, err, sizeof(err));
		if (site->store == NULL)
			log_error("http: %s", err);
	}
	return site->store;
}

static void site_store_failed(site_t *site)
{
	log_error("http: %s; reconnecting on the next request", store_last_error(site->store));
	store_free(site->store);
	site->store = NULL;
}

static enum MHD_Result site_index(site_t *site, struct MHD_Connection *conn)
{
	strbuf_t sb = STRBUF_INIT;
	const char *addr = site->cfg->test_addresses ? site->cfg->test_addresses[0] : NULL;
	long long hours = site->cfg->report_ttl_ms / 3600000;

	strbuf_puts(&sb, "<p>mxray tests how a mail domain sends and receives mail: the TLS "
		    "your server used, SPF and DKIM of your message, and every mail server "
		    "(MX) of your domain: STARTTLS, TLS version, certificate.</p>\n"
		    "<p>To test your domain, send any mail to ");
	if (addr && addr[0] != '@') {
		strbuf_puts(&sb, "<code>");
		strbuf_append_html(&sb, addr);
		strbuf_puts(&sb, "</code>");
	} else if (addr) {
		strbuf_puts(&sb, "any address at <code>");
		strbuf_append_html(&sb, addr + 1);
		strbuf_puts(&sb, "</code>");
	} else {
		strbuf_puts(&sb, "the test address (none is configured on this site yet)");
	}
	strbuf_printf(&sb, " from an address of that domain. A reply with a link to your report "
		      "arrives within a minute.</p>\n<p>Reports are kept for %lld hours, then "
		      "deleted together with everything mxray kept about the test mail. "
		      "The message body is never stored.</p>\n", hours);
	char *body = site_page("mxray: SSL Labs for email", sb.data);
	strbuf_free(&sb);
	return site_respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", body, "no-cache");
}

static enum MHD_Result site_healthz(site_t *site, struct MHD_Connection *conn)
{
	store_queue_info_t qi;
	store_t *s = site_store(site);
	if (s != NULL && store_queue_info(s, STORE_STREAM_REPORTS, &qi) == 0)
		return site_text(conn, MHD_HTTP_OK, "ok\n");
	if (s != NULL)
		site_store_failed(site);
	return site_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "redis unavailable\n");
}

/* metrics_queue - the gauges of one stream. */
static void metrics_queue(strbuf_t *m, const char *stream, const store_queue_info_t *q)
{
	strbuf_printf(m, "mxray_queue_entries{stream=\"%s\"} %lld\n", stream, q->length);
	strbuf_printf(m, "mxray_queue_pending{stream=\"%s\"} %lld\n", stream, q->pending);
	if (q->lag >= 0)
		strbuf_printf(m, "mxray_queue_lag{stream=\"%s\"} %lld\n", stream, q->lag);
	strbuf_printf(m, "mxray_queue_consumers{stream=\"%s\"} %lld\n", stream, q->consumers);
	if (q->oldest_age_ms >= 0)
		strbuf_printf(m, "mxray_queue_oldest_age_seconds{stream=\"%s\"} %.3f\n", stream,
			      q->oldest_age_ms / 1000.0);
}

/* metrics_histogram - one latency histogram, Prometheus style. */
static void metrics_histogram(strbuf_t *m, const char *name, const char *help,
			      const store_histogram_t *h)
{
	strbuf_printf(m, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t i = 0; i < STORE_HIST_BUCKETS; i++)
		strbuf_printf(m, "%s_bucket{le=\"%g\"} %lld\n", name,
			      store_hist_bounds_ms[i] / 1000.0, h->bucket[i]);
	strbuf_printf(m, "%s_bucket{le=\"+Inf\"} %lld\n%s_sum %.3f\n%s_count %lld\n", name,
		      h->count, name, h->sum_ms / 1000.0, name, h->count);
}

/* site_metrics - Prometheus text format: queues from Redis, counters
 * shared by all workers and reporters, and this process's own. */
static enum MHD_Result site_metrics(site_t *site, struct MHD_Connection *conn)
{
	strbuf_t m = STRBUF_INIT;
	store_queue_info_t jobs, reports;
	long long processed = 0, sent = 0, failed = 0, limited = 0, unanswered = 0;
	store_histogram_t probe_h, e2e_h;
	store_t *s = site_store(site);
	int up = s != NULL && store_queue_info(s, STORE_STREAM_JOBS, &jobs) == 0 &&
		 store_queue_info(s, STORE_STREAM_REPORTS, &reports) == 0 &&
		 store_counter(s, "jobs_processed", &processed) == 0 &&
		 store_counter(s, "replies_sent", &sent) == 0 &&
		 store_counter(s, "replies_failed", &failed) == 0 &&
		 store_counter(s, "tests_rate_limited", &limited) == 0 &&
		 store_counter(s, "tests_not_answered", &unanswered) == 0 &&
		 store_histogram(s, "probe_ms", &probe_h) == 0 &&
		 store_histogram(s, "end_to_end_ms", &e2e_h) == 0;
	if (s != NULL && !up)
		site_store_failed(site);
	strbuf_printf(&m, "# HELP mxray_redis_up 1 if Redis answered this scrape.\n"
		      "# TYPE mxray_redis_up gauge\nmxray_redis_up %d\n", up);
	if (up) {
		strbuf_puts(&m, "# HELP mxray_queue_entries Entries in a stream (jobs, reports).\n"
			    "# TYPE mxray_queue_entries gauge\n"
			    "# HELP mxray_queue_pending Delivered to a consumer, not yet acknowledged.\n"
			    "# TYPE mxray_queue_pending gauge\n"
			    "# HELP mxray_queue_lag Not yet delivered to any consumer.\n"
			    "# TYPE mxray_queue_lag gauge\n"
			    "# HELP mxray_queue_consumers Consumers in the stream's group.\n"
			    "# TYPE mxray_queue_consumers gauge\n"
			    "# HELP mxray_queue_oldest_age_seconds Age of the oldest entry not yet acknowledged.\n"
			    "# TYPE mxray_queue_oldest_age_seconds gauge\n");
		metrics_queue(&m, "jobs", &jobs);
		metrics_queue(&m, "reports", &reports);
		strbuf_printf(&m, "# HELP mxray_dead_letters Entries moved to the dead-letter stream.\n"
			      "# TYPE mxray_dead_letters gauge\nmxray_dead_letters %lld\n"
			      "# HELP mxray_jobs_processed_total Reports stored by all workers.\n"
			      "# TYPE mxray_jobs_processed_total counter\nmxray_jobs_processed_total %lld\n"
			      "# HELP mxray_replies_sent_total Replies submitted by all reporters.\n"
			      "# TYPE mxray_replies_sent_total counter\nmxray_replies_sent_total %lld\n"
			      "# HELP mxray_replies_failed_total Replies whose submission failed (retried later).\n"
			      "# TYPE mxray_replies_failed_total counter\nmxray_replies_failed_total %lld\n"
			      "# HELP mxray_tests_rate_limited_total Test mails refused (450) by the milter's rate limits.\n"
			      "# TYPE mxray_tests_rate_limited_total counter\nmxray_tests_rate_limited_total %lld\n"
			      "# HELP mxray_tests_not_answered_total Test mails accepted with no reply and no probe (null sender, automatic or list mail, mxray's own).\n"
			      "# TYPE mxray_tests_not_answered_total counter\nmxray_tests_not_answered_total %lld\n",
			      jobs.dead, processed, sent, failed, limited, unanswered);
		metrics_histogram(&m, "mxray_probe_duration_seconds",
				  "Time a worker took to probe a domain and build its report.", &probe_h);
		metrics_histogram(&m, "mxray_end_to_end_seconds",
				  "From the test mail's arrival in the queue to its reply's submission.",
				  &e2e_h);
	}
	strbuf_printf(&m, "# HELP mxray_reports_served_total Reports served by this reporter.\n"
		      "# TYPE mxray_reports_served_total counter\nmxray_reports_served_total %lld\n"
		      "# HELP mxray_reports_not_found_total Unknown or expired tokens asked of this reporter.\n"
		      "# TYPE mxray_reports_not_found_total counter\nmxray_reports_not_found_total %lld\n"
		      "# HELP mxray_reports_cache_hits_total Reports answered from this reporter's page cache.\n"
		      "# TYPE mxray_reports_cache_hits_total counter\nmxray_reports_cache_hits_total %lld\n"
		      "# HELP mxray_api_checks_total Domain checks queued through POST /api/v1/check.\n"
		      "# TYPE mxray_api_checks_total counter\nmxray_api_checks_total %lld\n"
		      "# HELP mxray_api_rate_limited_total API checks refused by [http] api_check_rate.\n"
		      "# TYPE mxray_api_rate_limited_total counter\nmxray_api_rate_limited_total %lld\n",
		      site->served, site->not_found, site->cache_hits, site->api_checks,
		      site->api_limited);
	return site_respond(conn, up ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
			    "text/plain; version=0.0.4; charset=utf-8", strbuf_detach(&m), "no-store");
}

/* site_api_json - a JSON answer of the API. */
static enum MHD_Result site_api_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	if (text == NULL)
		return MHD_NO;
	strbuf_t sb = STRBUF_INIT;
	strbuf_printf(&sb, "%s\n", text);
	free(text);
	return site_respond(conn, status, "application/json; charset=utf-8", strbuf_detach(&sb),
			    "no-store");
}

static enum MHD_Result site_api_error(struct MHD_Connection *conn, unsigned status,
				      const char *why)
{
	return site_api_json(conn, status, json_pack("{ss}", "error", why));
}

/* api_client - the client's numeric address into buf. */
static void api_client(struct MHD_Connection *conn, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(buf, len, "unknown");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	socklen_t sl = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							       : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, sl, buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, len, "unknown");
}

/* api_rate_take - 1 if ip may queue one more check this hour (counted),
 * 0 if it has used [http] api_check_rate. Direct-mapped: two addresses
 * sharing a slot reset each other's count, which only ever lets more
 * through, never fewer. */
static int api_rate_take(site_t *site, const char *ip)
{
	unsigned h = 2166136261u;
	for (const char *p = ip; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	long long hour = (long long)time(NULL) / 3600;
	struct site_api_rate *slot = &site->api_rate[h % SITE_API_SLOTS];
	if (strcmp(slot->ip, ip) != 0 || slot->hour != hour) {
		snprintf(slot->ip, sizeof(slot->ip), "%s", ip);
		slot->hour = hour;
		slot->count = 0;
	}
	if (slot->count >= site->cfg->http_api_check_rate)
		return 0;
	slot->count++;
	return 1;
}

/* site_api_check - POST /api/v1/check?domain=D: queue a domain-only test
 * (no reply mail: reply_to is null) and answer with its token. The job id
 * is bound to a token here with the worker's own SET NX, so whichever of
 * the two comes first, both use the same token. */
static enum MHD_Result site_api_check(site_t *site, struct MHD_Connection *conn,
				      const char *method)
{
	if (strcmp(site->cfg->http_api_check, "on") != 0)
		return site_respond(conn, MHD_HTTP_NOT_FOUND, "text/html; charset=utf-8",
				    site_page("Not found", "<p>There is nothing here. "
					      "<a href=\"/\">How to use mxray</a></p>\n"), "no-store");
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		struct MHD_Response *r = site_response(MHD_HTTP_METHOD_NOT_ALLOWED,
						       "text/plain; charset=utf-8",
						       strdup("use POST\n"), "no-store");
		if (r == NULL)
			return MHD_NO;
		MHD_del_response_header(r, "Allow", "GET, HEAD");
		MHD_add_response_header(r, "Allow", "POST");
		enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	char domain[256], ip[64], id[64], token[TOKEN_BUFSIZE];
	const char *arg = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "domain");
	if (!text_host_name_ok(arg, 2, 0))
		return site_api_error(conn, MHD_HTTP_BAD_REQUEST,
				      "domain=D is missing or not a plain host name");
	size_t i = 0;
	for (; arg[i] && i < sizeof(domain) - 1; i++)
		domain[i] = (char)tolower((unsigned char)arg[i]);
	domain[i] = '\0';
	api_client(conn, ip, sizeof(ip));
	if (!api_rate_take(site, ip)) {
		site->api_limited++;
		return site_api_error(conn, MHD_HTTP_TOO_MANY_REQUESTS,
				      "too many checks from your address this hour");
	}
	store_t *s = site_store(site);
	if (s == NULL)
		return site_api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "try again later");
	if (token_new(token) != 0)
		return site_api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "try again later");
	json_t *job = json_pack("{si ss ss sn ss}", "format", JOB_FORMAT, "kind", "domain",
				"domain", domain, "reply_to", "client_ip", ip);
	int rc = store_job_add_id(s, job, id, sizeof(id));
	json_decref(job);
	if (rc != 0 || store_job_token(s, id, token, sizeof(token), site->cfg->report_ttl_ms) != 0) {
		site_store_failed(site);
		return site_api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "try again later");
	}
	site->api_checks++;
	log_info("http: api check queued: job %s token %s domain %s client %s", id, token, domain,
		 ip);
	strbuf_t link = STRBUF_INIT, jlink = STRBUF_INIT;
	strbuf_printf(&link, "%s/r/%s", site->cfg->base_url, token);
	strbuf_printf(&jlink, "%s/r/%s.json", site->cfg->base_url, token);
	json_t *answer = json_pack("{ss ss ss ss}", "token", token, "domain", domain, "link",
				   link.data, "json", jlink.data);
	strbuf_free(&link);
	strbuf_free(&jlink);
	return site_api_json(conn, MHD_HTTP_ACCEPTED, answer);
}

/* site_report - /r/<rest>: rest is "<token>" or "<token>.json". */
static enum MHD_Result site_report(site_t *site, struct MHD_Connection *conn, const char *rest)
{
	char token[TOKEN_BUFSIZE];
	size_t n = strlen(rest);
	int as_json = n > 5 && strcmp(rest + n - 5, ".json") == 0;
	if (as_json)
		n -= 5;
	if (n != TOKEN_CHARS)
		return site_gone(site, conn);
	memcpy(token, rest, n);
	token[n] = '\0';
	if (!token_valid(token))
		return site_gone(site, conn);

	char key[TOKEN_BUFSIZE + 8];
	snprintf(key, sizeof(key), "%s%s", token, as_json ? ".json" : "");
	site_cached_t *hit = site_cache_slot(site, key);
	time_t now = time(NULL);
	if (hit->response != NULL && strcmp(hit->key, key) == 0 && now < hit->until) {
		site->served++;
		site->cache_hits++;
		return MHD_queue_response(conn, MHD_HTTP_OK, hit->response);
	}

	store_t *s = site_store(site);
	if (s == NULL)
		return site_unavailable(conn);
	char *text = NULL;
	int found = store_result_get(s, token, &text);
	if (found < 0) {
		site_store_failed(site);
		return site_unavailable(conn);
	}
	if (found == 0)
		return site_gone(site, conn);

	json_error_t jerr;
	char why[256];
	json_t *rep = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (rep == NULL || record_check_format(rep, REPORT_FORMAT, why, sizeof(why)) != 0) {
		log_error("http: report %s is unreadable: %s", token,
			  rep == NULL ? jerr.text : why);
		json_decref(rep);
		free(text);
		return site_respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "text/html; charset=utf-8",
				    site_page("This report cannot be shown",
					      "<p>The stored report is damaged. Send a new "
					      "test mail.</p>\n"), "no-store");
	}
	/* Redis expires the key; the report's own expiry is checked too, so a
	 * key whose TTL was lost never outlives what the page promised. */
	time_t expires, until = now + SITE_CACHE_TTL_S;
	if (rjson_time(rjson_str(rep, "expires"), &expires) == 0) {
		if (expires <= now) {
			json_decref(rep);
			free(text);
			return site_gone(site, conn);
		}
		if (expires < until)
			until = expires;
	}
	site->served++;
	struct MHD_Response *r;
	if (as_json) {
		r = site_response(MHD_HTTP_OK, "application/json; charset=utf-8", text,
				  "private, no-store");
	} else {
		free(text);
		strbuf_t page = STRBUF_INIT;
		report_render_html(rep, &page);
		r = site_response(MHD_HTTP_OK, "text/html; charset=utf-8", strbuf_detach(&page),
				  "private, no-store");
	}
	json_decref(rep);
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	site_cache_put(site, key, r, until);
	return ret;
}

static enum MHD_Result site_handle(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **con_cls)
{
	static int headers_seen;	/* only its address is used: a marker */
	site_t *site = cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;

	/* Anything but GET and HEAD is refused at once, before any request
	 * body is read (libmicrohttpd closes such a connection). The API's
	 * POST carries its argument in the URL and is answered at once too. */
	if (strcmp(url, "/api/v1/check") == 0)
		return site_api_check(site, conn, method);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return site_respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
				    strdup("method not allowed\n"), "no-store");
	/* A response queued on the first call (headers only) makes
	 * libmicrohttpd answer "Connection: close"; answering on the second
	 * call keeps the connection alive for the next request. *con_cls is
	 * per request: libmicrohttpd clears it when a request completes. */
	if (*con_cls == NULL) {
		*con_cls = &headers_seen;
		return MHD_YES;
	}
	if (strcmp(url, "/") == 0)
		return site_index(site, conn);
	if (strcmp(url, "/healthz") == 0)
		return site_healthz(site, conn);
	if (strcmp(url, "/metrics") == 0)
		return site_metrics(site, conn);
	if (strncmp(url, "/r/", 3) == 0)
		return site_report(site, conn, url + 3);
	return site_respond(conn, MHD_HTTP_NOT_FOUND, "text/html; charset=utf-8",
			    site_page("Not found", "<p>There is nothing here. "
				      "<a href=\"/\">How to use mxray</a></p>\n"), "no-store");
}

/* site_listen_addr - resolve "host:port" or "[v6]:port" into ss. */
static int site_listen_addr(const char *listen, struct sockaddr_storage *ss, char *err,
			    size_t errlen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hl = colon ? (size_t)(colon - listen) : 0;
	const char *h = listen;
	if (colon == NULL || hl == 0 || hl >= sizeof(host) || atoi(colon + 1) <= 0 ||
	    atoi(colon + 1) > 65535) {
		snprintf(err, errlen, "[http] listen \"%s\" is not HOST:PORT", listen);
		return -1;
	}
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc != 0 || res == NULL) {
		snprintf(err, errlen, "[http] listen \"%s\": %s", listen, gai_strerror(rc));
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

site_t *site_start(const mxray_config_t *cfg, char *err, size_t errlen)
{
	site_t *site = calloc(1, sizeof(*site));
	if (site == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	site->cfg = cfg;
	if (site_listen_addr(cfg->http_listen, &site->addr, err, errlen) != 0) {
		free(site);
		return NULL;
	}
	strbuf_t sb = STRBUF_INIT;
	strbuf_printf(&sb, "<p>This report does not exist or has expired. Reports are kept "
		      "for %lld hours; send a new test mail to get a new one.</p>\n"
		      "<p><a href=\"/\">How to use mxray</a></p>\n",
		      cfg->report_ttl_ms / 3600000);
	site->gone_page = site_page("Report not found", sb.data);
	strbuf_free(&sb);

	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (site->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	site->daemon = MHD_start_daemon(flags, 0, NULL, NULL, site_handle, site,
		MHD_OPTION_EXTERNAL_LOGGER, site_mhd_log, NULL,	/* must come first */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&site->addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SITE_CONNECTION_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SITE_PER_IP_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SITE_IDLE_TIMEOUT_S,
		MHD_OPTION_END);
	if (site->daemon == NULL) {
		snprintf(err, errlen, "[http] cannot listen on %s (address in use or not "
			 "local?)", cfg->http_listen);
		free(site->gone_page);
		free(site);
		return NULL;
	}
	return site;
}

void site_stop(site_t *site)
{
	if (site == NULL)
		return;
	MHD_stop_daemon(site->daemon);
	for (size_t i = 0; i < SITE_CACHE_SLOTS; i++)
		if (site->cache[i].response != NULL)
			MHD_destroy_response(site->cache[i].response);
	store_free(site->store);	/* the polling thread has ended */
	free(site->gone_page);
	free(site);
}
