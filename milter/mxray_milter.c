/*
 * mxray_milter.c - mxray-milter: turn a mail to the test address into a job.
 *
 * SYNOPSIS
 *	mxray-milter [-c FILE] [-v] [--help]
 *
 * DESCRIPTION
 *	Postfix (or any milter-speaking MTA) hands every SMTP session to this
 *	program. For a message with at least one test recipient
 *	([milter] test_addresses) it collects the client, HELO, TLS, envelope,
 *	From/Message-ID/Date/Received, verifies every DKIM signature and SPF,
 *	and XADDs one job to the Redis stream <prefix>jobs; every other message
 *	passes untouched. The body is hashed for DKIM and never kept. The
 *	milter never changes a message.
 *
 *	Contexts follow OpenDKIM: a connection context (client facts) owns a
 *	message context (message facts, the DKIM verifier); abort and
 *	end-of-message reset the message; close frees everything. Callbacks
 *	run on libmilter's thread pool: the process-wide state (config,
 *	resolver, DKIM library) is read-only after start.
 *
 * DIAGNOSTICS
 *	One info line per queued job, one per test mail that gets neither a
 *	reply nor a probe (null sender, Auto-Submitted, list or bulk mail,
 *	mxray's own: accepted, no job, counted as tests_not_answered), one
 *	per test refused by the rate limits
 *	([milter] rate_per_sender, rate_per_domain, rate_per_network: 450 4.7.1). When Redis cannot take the job the
 *	message is tempfailed (451 4.3.0) so the sending MTA retries (DESIGN
 *	rule 5); a per-message error never stops the program.
 *
 * BUGS
 *	A new Redis connection per test message (fine at test-mail rates).
 *	libspf2 never runs in this process: spf_sandbox.h (CVE-2023-42118);
 *	its keeper is forked before the listening socket exists.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "analysis/address.h"
#include "analysis/dkim_verify.h"
#include "analysis/dnsbl.h"
#include "analysis/helo_check.h"
#include "analysis/message_facts.h"
#include "analysis/rate_limit.h"
#include "analysis/reply_policy.h"
#include "analysis/spf_sandbox.h"
#include "analysis/spf_check.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "base/strbuf.h"
#include "base/text.h"
#include "mail/daemon.h"
#include "mail/config.h"
#include "mail/resolver.h"
#include "mail/store.h"

#define MILTER_REDIS_TIMEOUT_MS 2000
#define MILTER_LOG_TEXT 200		/* bytes of remote text in a log line */

/* Process-wide, read-only once smfi_main runs. */
static mxray_config_t milter_cfg;
static resolver_t *milter_resolver;
static analysis_dns_t milter_dns;
static dkim_verify_lib_t *milter_dkim;
static spf_sandbox_t *milter_spf;	/* libspf2 runs there, never here */
static reply_mode_t milter_reply_mode;	/* [milter] reply_policy */

typedef struct milter_msg {
	message_facts_t facts;
	int is_test;			/* a test address is among the recipients */
	dkim_verify_t *dkim;
} milter_msg_t;

typedef struct milter_conn {
	client_facts_t client;
	int lead_space_kept;		/* SMFIP_HDR_LEADSPC was negotiated */
	milter_msg_t msg;
} milter_conn_t;

/* milter_msg_reset - forget the current message (abort, eom, next MAIL). */
static void milter_msg_reset(milter_msg_t *m)
{
	message_facts_clear(&m->facts);
	dkim_verify_free(m->dkim);
	m->dkim = NULL;
	m->is_test = 0;
}

/* milter_conn_get - this session's context, made on first use. */
static milter_conn_t *milter_conn_get(SMFICTX *ctx)
{
	milter_conn_t *c = smfi_getpriv(ctx);
	if (c != NULL)
		return c;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		log_error("milter: out of memory for a connection context");
		return NULL;
	}
	client_facts_init(&c->client);
	message_facts_init(&c->msg.facts);
	message_limits_set(&c->msg.facts.limits, milter_cfg.max_headers, milter_cfg.max_header_bytes,
			   milter_cfg.max_body_bytes);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		log_error("milter: smfi_setpriv failed");
		free(c);
		return NULL;
	}
	return c;
}

static void milter_read_tls(SMFICTX *ctx, milter_conn_t *c)
{
	client_facts_set_tls(&c->client, smfi_getsymval(ctx, "{tls_version}"),
			     smfi_getsymval(ctx, "{cipher}"), smfi_getsymval(ctx, "{cipher_bits}"));
}

static sfsistat milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
				 unsigned long f2, unsigned long f3, unsigned long *pf0,
				 unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	*pf0 = f0 & SMFIF_SETSYMLIST;	/* we never modify a message */
	*pf1 = f1 & (SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_HDR_LEADSPC);
	*pf2 = 0;
	*pf3 = 0;
	c->lead_space_kept = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	if (*pf0 & SMFIF_SETSYMLIST) {
		/* Postfix sends only some macros unless asked for these. */
		smfi_setsymlist(ctx, SMFIM_CONNECT, "j _ {client_name} {client_ptr}");
		smfi_setsymlist(ctx, SMFIM_HELO, "{tls_version} {cipher} {cipher_bits}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {tls_version} {cipher} {cipher_bits}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat milter_connect(SMFICTX *ctx, char *hostname, struct sockaddr *hostaddr)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	client_facts_clear(&c->client);
	milter_msg_reset(&c->msg);
	netaddr_t a;
	if (hostaddr != NULL && netaddr_from_sockaddr(hostaddr, &a) == 0)
		netaddr_format(&a, c->client.ip, sizeof(c->client.ip));
	const char *name = smfi_getsymval(ctx, "{client_name}");
	facts_set(&c->client.name, name ? name : hostname);
	facts_set(&c->client.ptr, smfi_getsymval(ctx, "{client_ptr}"));
	return SMFIS_CONTINUE;
}

static sfsistat milter_helo(SMFICTX *ctx, char *helo)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	facts_set(&c->client.helo, helo);
	milter_read_tls(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat milter_envfrom(SMFICTX *ctx, char **argv)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	milter_msg_reset(&c->msg);
	milter_read_tls(ctx, c);	/* Postfix: TLS macros at HELO and MAIL */
	message_facts_set_mail_from(&c->msg.facts, argv && argv[0] ? argv[0] : "");
	return SMFIS_CONTINUE;
}

/* milter_rate_hit - count one test mail against [milter] rate_per_*;
 * 1 with the kind over its limit in *kind (counted for /metrics), 0
 * within, -1 when Redis cannot count (then end-of-message tempfails
 * anyway: no job without Redis). */
static int milter_rate_hit(const char *ip, const char *sender, const char **kind)
{
	rate_key_t k[RATE_KEYS];
	size_t n = rate_keys(ip, sender, k);
	if (n == 0)
		return 0;
	char err[256];
	store_t *s = store_connect(&milter_cfg, MILTER_REDIS_TIMEOUT_MS, err, sizeof(err));
	if (s == NULL)
		return -1;
	int over = 0;
	for (size_t i = 0; i < n; i++) {
		long long count;
		if (store_rate_count(s, k[i].kind, k[i].value, milter_cfg.rate_window_ms, &count) != 0) {
			store_free(s);
			return -1;
		}
		int limit = strcmp(k[i].kind, "sender") == 0 ? milter_cfg.rate_per_sender
			  : strcmp(k[i].kind, "domain") == 0 ? milter_cfg.rate_per_domain
							     : milter_cfg.rate_per_network;
		if (!over && count > limit) {
			over = 1;
			*kind = k[i].kind;
		}
	}
	if (over && store_count(s, "tests_rate_limited") != 0)
		log_error("redis: cannot count the refusal: %s", store_last_error(s));
	store_free(s);
	return over;
}

static sfsistat milter_envrcpt(SMFICTX *ctx, char **argv)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (argv == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	char *rcpt = address_strip(argv[0]);
	int test = config_is_test_address(&milter_cfg, rcpt);
	if (test && !c->msg.is_test) {
		/* Counted once per message, at its first test recipient. */
		const char *kind = NULL;
		if (milter_rate_hit(c->client.ip, c->msg.facts.mail_from, &kind) == 1) {
			char text[200];
			snprintf(text, sizeof(text), "mxray: too many tests from this %s; try again later",
				 kind);
			char *sender = text_printable(c->msg.facts.mail_from ? c->msg.facts.mail_from : "",
						      c->msg.facts.mail_from ? strlen(c->msg.facts.mail_from) : 0,
						      MILTER_LOG_TEXT);
			log_info("milter: client %s sender <%s>: over the %s rate limit: 450 4.7.1",
				 c->client.ip[0] ? c->client.ip : "unknown", sender, kind);
			free(sender);
			free(rcpt);
			smfi_setreply(ctx, "450", "4.7.1", text);
			return SMFIS_TEMPFAIL;
		}
	}
	if (test) {
		c->msg.is_test = 1;
		message_facts_add_rcpt(&c->msg.facts, rcpt);
	}
	free(rcpt);
	return SMFIS_CONTINUE;
}

static sfsistat milter_header(SMFICTX *ctx, char *name, char *value)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->msg.is_test)
		return SMFIS_ACCEPT;	/* not for us: no more callbacks */
	if (c->msg.dkim == NULL) {
		char err[256];
		c->msg.dkim = dkim_verify_new(milter_dkim, smfi_getsymval(ctx, "i"), err,
					      sizeof(err));
		if (c->msg.dkim == NULL) {
			log_error("milter: %s; tempfailing the message", err);
			return SMFIS_TEMPFAIL;
		}
	}
	if (!message_limits_header(&c->msg.facts.limits, name, value))
		return SMFIS_CONTINUE;	/* counted and reported, not read */
	size_t too_long = dkim_verify_header(c->msg.dkim, name, value, c->lead_space_kept);
	if (too_long > 0)
		message_limits_dkim_skip(&c->msg.facts.limits, name, too_long);
	message_facts_header(&c->msg.facts, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat milter_eoh(SMFICTX *ctx)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->msg.is_test)
		return SMFIS_ACCEPT;
	dkim_verify_eoh(c->msg.dkim);
	return SMFIS_CONTINUE;
}

static sfsistat milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (!c->msg.is_test)
		return SMFIS_ACCEPT;
	size_t take = message_limits_body(&c->msg.facts.limits, len);
	if (take > 0)
		dkim_verify_body(c->msg.dkim, chunk, take);	/* hashed, never kept */
	return SMFIS_CONTINUE;
}

/* milter_summary - "pass(sender.test) fail(other.test)" for the log line. */
static void milter_dkim_summary(const json_t *dkim, strbuf_t *out)
{
	size_t i;
	json_t *sig;
	if (json_array_size(dkim) == 0) {
		strbuf_puts(out, "none");
		return;
	}
	json_array_foreach(dkim, i, sig) {
		const char *d = json_string_value(json_object_get(sig, "domain"));
		strbuf_printf(out, "%s%s(%s)", i ? "," : "",
			      json_string_value(json_object_get(sig, "result")), d ? d : "?");
	}
}

/* milter_queue - hand the job to Redis; 0 ok, -1 with the reason logged. */
static int milter_queue(const json_t *job)
{
	char err[256];
	store_t *s = store_connect(&milter_cfg, MILTER_REDIS_TIMEOUT_MS, err, sizeof(err));
	if (s == NULL) {
		log_error("milter: Redis %s: %s", milter_cfg.redis_address, err);
		return -1;
	}
	int rc = store_job_add(s, job);
	if (rc != 0)
		log_error("milter: Redis %s: XADD failed: %s", milter_cfg.redis_address,
			  store_last_error(s));
	store_free(s);
	return rc;
}

/* milter_not_answered - a test mail that gets neither a reply nor a probe
 * (reply_policy_automatic): accepted with no job, one info line, counted
 * for operators. Nothing is lost by accepting: nobody asked for an answer,
 * so a Redis failure here only costs the count. */
static void milter_not_answered(SMFICTX *ctx, const milter_conn_t *c, const char *why)
{
	const char *qid = smfi_getsymval(ctx, "i");
	const char *mf = c->msg.facts.mail_from ? c->msg.facts.mail_from : "";
	char *sender = text_printable(mf, strlen(mf), MILTER_LOG_TEXT);
	char *reason = text_printable(why, strlen(why), MILTER_LOG_TEXT);
	log_info("%s: client %s sender <%s>: not tested, no reply and no probe: %s",
		 qid ? qid : "milter", c->client.ip[0] ? c->client.ip : "unknown", sender, reason);
	free(reason);
	free(sender);
	char err[256];
	store_t *s = store_connect(&milter_cfg, MILTER_REDIS_TIMEOUT_MS, err, sizeof(err));
	if (s == NULL)
		log_error("milter: Redis %s: cannot count the unanswered test: %s",
			  milter_cfg.redis_address, err);
	else if (store_count(s, "tests_not_answered") != 0)
		log_error("milter: Redis %s: cannot count the unanswered test: %s",
			  milter_cfg.redis_address, store_last_error(s));
	store_free(s);
}

static sfsistat milter_eom(SMFICTX *ctx)
{
	milter_conn_t *c = milter_conn_get(ctx);
	if (c == NULL)
		return SMFIS_TEMPFAIL;
	milter_msg_t *m = &c->msg;
	if (!m->is_test) {
		milter_msg_reset(m);
		return SMFIS_ACCEPT;
	}
	char automatic[300];
	if (reply_policy_automatic(&m->facts, milter_cfg.mail_from, automatic, sizeof(automatic))) {
		milter_not_answered(ctx, c, automatic);
		milter_msg_reset(m);
		return SMFIS_ACCEPT;
	}
	m->facts.dkim = dkim_verify_finish(m->dkim);
	message_limits_dkim(&m->facts.limits, m->facts.dkim);
	m->facts.spf = spf_sandbox_run(milter_spf, c->client.ip[0] ? c->client.ip : NULL,
				       c->client.helo, m->facts.mail_from);
	m->facts.reply_policy = reply_policy_decide(&m->facts, milter_reply_mode, milter_cfg.mail_from);
	m->facts.dnsbl = dnsbl_check(&milter_dns, c->client.ip, milter_cfg.milter_dnsbl,
				       &milter_cfg.allow_networks);
	m->facts.helo_check = helo_check(&milter_dns, c->client.helo, c->client.ip[0] ? c->client.ip : NULL,
					 c->client.name, c->client.ptr, &milter_cfg.allow_networks);

	char err[256];
	sfsistat ret = SMFIS_ACCEPT;
	json_t *job = message_job_new(&c->client, &m->facts, err, sizeof(err));
	const char *qid = smfi_getsymval(ctx, "i");
	char *sender = text_printable(m->facts.mail_from ? m->facts.mail_from : "",
				      m->facts.mail_from ? strlen(m->facts.mail_from) : 0,
				      MILTER_LOG_TEXT);
	if (job == NULL) {
		log_info("%s: client %s sender <%s>: not tested: %s", qid ? qid : "milter",
			 c->client.ip[0] ? c->client.ip : "unknown", sender, err);
	} else if (milter_queue(job) != 0) {
		smfi_setreply(ctx, "451", "4.3.0", "mxray: test queue unavailable, please retry later");
		ret = SMFIS_TEMPFAIL;
	} else {
		strbuf_t dk = STRBUF_INIT;
		milter_dkim_summary(m->facts.dkim, &dk);
		char *dks = text_printable(dk.data, dk.len, MILTER_LOG_TEXT);
		const char *dom = json_string_value(json_object_get(job, "domain"));
		const char *spf = json_string_value(json_object_get(m->facts.spf, "result"));
		json_t *rp = m->facts.reply_policy;
		char *why = text_printable(json_string_value(json_object_get(rp, "reason")) ?: "",
					   strlen(json_string_value(json_object_get(rp, "reason")) ?: ""),
					   MILTER_LOG_TEXT);
		log_info("%s: queued test: domain=%s client=%s sender=<%s> spf=%s dkim=%s reply=%s (%s)",
			 qid ? qid : "milter", dom ? dom : "?",
			 c->client.ip[0] ? c->client.ip : "unknown", sender, spf ? spf : "?", dks,
			 json_is_true(json_object_get(rp, "reply")) ? "yes" : "no", why);
		free(why);
		free(dks);
		strbuf_free(&dk);
	}
	free(sender);
	json_decref(job);
	milter_msg_reset(m);
	return ret;
}

static sfsistat milter_abort(SMFICTX *ctx)
{
	milter_conn_t *c = smfi_getpriv(ctx);
	if (c != NULL)
		milter_msg_reset(&c->msg);
	return SMFIS_CONTINUE;
}

static sfsistat milter_close(SMFICTX *ctx)
{
	milter_conn_t *c = smfi_getpriv(ctx);
	if (c == NULL)
		return SMFIS_CONTINUE;
	milter_msg_reset(&c->msg);
	client_facts_clear(&c->client);
	free(c);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_desc = {
	.xxfi_name = "mxray",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = 0,		/* no modifications, ever */
	.xxfi_connect = milter_connect,
	.xxfi_helo = milter_helo,
	.xxfi_envfrom = milter_envfrom,
	.xxfi_envrcpt = milter_envrcpt,
	.xxfi_header = milter_header,
	.xxfi_eoh = milter_eoh,
	.xxfi_body = milter_body,
	.xxfi_eom = milter_eom,
	.xxfi_abort = milter_abort,
	.xxfi_close = milter_close,
	.xxfi_negotiate = milter_negotiate,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mxray-milter [-c FILE] [-v] [--help]\n"
		"  -c FILE   configuration (default %s, else %s)\n"
		"  -v        debug logging\n"
		"Listens on [milter] socket for Postfix and queues a test job in Redis\n"
		"for every message to one of [milter] test_addresses.\n",
		CONFIG_DEFAULT_PATH_TREE, CONFIG_DEFAULT_PATH_INSTALLED);
}

int main(int argc, char **argv)
{
	char err[512];
	int rc0 = daemon_init(argc, argv, "mxray-milter", usage, &milter_cfg);
	if (rc0 >= 0)
		return rc0;
	if (reply_mode_parse(milter_cfg.milter_reply_policy, &milter_reply_mode) != 0)
		log_fatal("config %s: [milter] reply_policy \"%s\" is neither authenticated nor any",
			  milter_cfg.path, milter_cfg.milter_reply_policy);
	if (milter_cfg.test_addresses == NULL || milter_cfg.test_addresses[0] == NULL)
		log_warn("config %s: [milter] test_addresses is empty: every message passes untested",
			 milter_cfg.path);

	milter_resolver = resolver_new(&milter_cfg, err, sizeof(err));
	if (milter_resolver == NULL)
		log_fatal("resolver: %s", err);
	milter_dns = analysis_dns_resolver(milter_resolver);
	milter_dkim = dkim_verify_lib_new(&milter_dns, err, sizeof(err));
	if (milter_dkim == NULL)
		log_fatal("dkim: %s", err);
	spf_check_init();
	/* The SPF keeper is forked now: this process has one thread (smfi_main
	 * starts the pool later) and no listening socket yet, so neither it
	 * nor any libspf2 child can accept a Postfix session. It gives up
	 * root for [milter] user, or for nobody when that is empty or root
	 * (a milter kept as root on purpose still parses hostile SPF records
	 * with no authority). */
	const char *mu = milter_cfg.milter_user;
	const char *spf_user = mu && mu[0] && strcmp(mu, "root") != 0 ? mu :
			       geteuid() == 0 ? "nobody" : NULL;
	spf_sandbox_opts_t spf_opts = { .timeout_ms = milter_cfg.command_timeout_ms,
					.user = spf_user };
	milter_spf = spf_sandbox_start_opts(&milter_dns, &spf_opts, err, sizeof(err));
	if (milter_spf == NULL)
		log_fatal("spf: cannot start the SPF helper process: %s", err);
	if (spf_user)
		log_info("spf: the SPF helper processes run as %s", spf_user);

	/* Not fatal: Redis may come later; until then tests are tempfailed. */
	store_t *probe = store_connect(&milter_cfg, MILTER_REDIS_TIMEOUT_MS, err, sizeof(err));
	if (probe == NULL)
		log_error("Redis %s: %s; test mails are tempfailed until it is reachable",
			  milter_cfg.redis_address, err);
	store_free(probe);

	if (smfi_register(milter_desc) != MI_SUCCESS)
		log_fatal("libmilter: smfi_register failed");
	if (smfi_setconn(milter_cfg.milter_socket) != MI_SUCCESS)
		log_fatal("config: [milter] socket %s is not a libmilter socket", milter_cfg.milter_socket);
	if (smfi_opensocket(true) != MI_SUCCESS)
		log_fatal("cannot listen on %s (in use? permissions?)", milter_cfg.milter_socket);
	log_info("listening on %s", milter_cfg.milter_socket);
	/* Open files it needs: libmilter serves each Postfix connection on a
	 * thread of its own (Postfix's default process limit is 100; room for
	 * 256), each with its socket, a Redis connection and a DNS socket or
	 * two; libunbound, the SPF sandbox's pipes and the rest besides. */
	daemon_drop_privileges_limited(milter_cfg.milter_user, "[milter] user", 1024 + 4 * 256);
	int rc = smfi_main();
	log_info("stopping (libmilter returned %d)", rc);

	spf_sandbox_stop(milter_spf);
	dkim_verify_lib_free(milter_dkim);
	resolver_free(milter_resolver);
	config_free(&milter_cfg);
	return rc == MI_SUCCESS ? 0 : 1;
}
