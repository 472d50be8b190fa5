/*
 * analyze.c - `mxray analyze [-c FILE] [-v] [--format text|json|html]
 *             [--client-ip IP] [--helo NAME] [--mail-from ADDR] [--probe] FILE|-`.
 *
 * The milter's analysis of a saved message (RFC 5322, LF or CRLF line
 * ends), in-process, without Postfix or Redis: every DKIM signature, SPF
 * for --client-ip (with --mail-from, else the Return-Path header, else
 * the null sender and --helo), DMARC of the From domain, the facts of the
 * message; --probe adds probe_domain() of the sender domain, as the worker
 * would. Output is the report of docs/report-format.md (JSON, text, HTML).
 *
 * Trusts nothing in the file: it is read up to ANALYZE_MAX_BYTES; header
 * lines are handed over as they are and bounded where they are kept
 * (message_facts); the body is hashed for DKIM, never kept. SPF runs in
 * spf_sandbox's child process, as in the milter (CVE-2023-42118).
 * Without --client-ip SPF is "none" (client address unknown): the
 * address cannot be read reliably from headers a sender wrote.
 * Exit 0 when a report was produced, 1 when it could not be (config,
 * resolver, unreadable file, no domain in the message), 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze.h"
#include "analysis/address.h"
#include "analysis/dkim_verify.h"
#include "analysis/dnsbl.h"
#include "analysis/helo_check.h"
#include "analysis/domain_policy.h"
#include "analysis/message_facts.h"
#include "analysis/reply_policy.h"
#include "analysis/spf_check.h"
#include "analysis/spf_sandbox.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/netaddr.h"
#include "base/strbuf.h"
#include "mail/config.h"
#include "mail/record.h"
#include "mail/resolver.h"
#include "probe/probe.h"
#include "report/assess.h"
#include "report/render.h"

#define ANALYZE_MAX_BYTES (64 * 1024 * 1024)

static void analyze_usage(FILE *out)
{
	fprintf(out, "usage: mxray analyze [-c FILE] [-v] [--format text|json|html] [--client-ip IP]\n"
		     "                     [--helo NAME] [--mail-from ADDR] [--probe] FILE|-\n"
		     "  Analyses a saved message as the milter would: every DKIM signature, SPF\n"
		     "  for --client-ip (envelope sender: --mail-from, else Return-Path), DMARC;\n"
		     "  --probe also probes the sender domain's MX hosts. Exit 0 when a report\n"
		     "  was produced, 1 when it could not be, 2 on usage errors.\n");
}

typedef struct analyze_opts {
	const char *config, *format, *client_ip, *helo, *mail_from, *path;
	int probe, verbose;
} analyze_opts_t;

/* analyze_read - the whole file (NUL-terminated) into buf; -1 with err. */
static int analyze_read(const char *path, strbuf_t *buf, char *err, size_t errlen)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (in == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0 && buf->len <= ANALYZE_MAX_BYTES)
		strbuf_append(buf, chunk, n);
	int bad = ferror(in), bad_errno = errno;
	if (in != stdin)
		fclose(in);
	if (bad) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(bad_errno));
		return -1;
	}
	if (buf->len > ANALYZE_MAX_BYTES) {
		snprintf(err, errlen, "%s is larger than %d bytes", path, ANALYZE_MAX_BYTES);
		return -1;
	}
	return 0;
}

/* analyze_body - hash a body chunk for DKIM, within [milter] max_body_bytes. */
static void analyze_body(dkim_verify_t *v, message_facts_t *m, const strbuf_t *chunk)
{
	size_t take = message_limits_body(&m->limits, chunk->len);
	if (take > 0)
		dkim_verify_body(v, (const unsigned char *)chunk->data, take);
}

/* analyze_message - feed headers and body of text to the facts and DKIM,
 * as the milter's header/eoh/body callbacks would. */
static void analyze_message(const char *text, size_t len, message_facts_t *m, dkim_verify_t *v)
{
	const char *p = text, *end = text + len;
	strbuf_t value = STRBUF_INIT;
	char name[256];
	strbuf_init(&value);

	/* Headers: a field runs until a line that does not start with WSP. */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		size_t ll = (size_t)(line_end - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		if (ll == 0) {		/* the empty line: end of the header */
			p = eol ? eol + 1 : end;
			break;
		}
		const char *colon = memchr(p, ':', ll);
		if (colon == NULL || colon == p || (size_t)(colon - p) >= sizeof(name) ||
		    p[0] == ' ' || p[0] == '\t') {
			p = eol ? eol + 1 : end;	/* not a field: skipped, like cleanup would */
			continue;
		}
		memcpy(name, p, (size_t)(colon - p));
		name[colon - p] = '\0';
		strbuf_reset(&value);
		strbuf_append(&value, colon + 1, ll - (size_t)(colon - p) - 1);
		p = eol ? eol + 1 : end;
		while (p < end && (*p == ' ' || *p == '\t')) {	/* folded lines */
			eol = memchr(p, '\n', (size_t)(end - p));
			line_end = eol ? eol : end;
			ll = (size_t)(line_end - p);
			if (ll > 0 && p[ll - 1] == '\r')
				ll--;
			strbuf_append(&value, "\r\n", 2);
			strbuf_append(&value, p, ll);
			p = eol ? eol + 1 : end;
		}
		if (!message_limits_header(&m->limits, name, value.data))
			continue;	/* counted and reported, not read */
		size_t too_long = dkim_verify_header(v, name, value.data, 1);
		if (too_long > 0)
			message_limits_dkim_skip(&m->limits, name, too_long);
		message_facts_header(m, name, value.data);
	}
	strbuf_free(&value);
	dkim_verify_eoh(v);

	/* Body: every line end becomes CRLF, as SMTP carried it. */
	strbuf_t body = STRBUF_INIT;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((eol ? eol : end) - p);
		if (ll > 0 && p[ll - 1] == '\r')
			ll--;
		strbuf_append(&body, p, ll);
		if (eol)
			strbuf_append(&body, "\r\n", 2);
		p = eol ? eol + 1 : end;
		if (body.len >= 65536) {
			analyze_body(v, m, &body);
			strbuf_reset(&body);
		}
	}
	if (body.len > 0)
		analyze_body(v, m, &body);
	strbuf_free(&body);
}

/* analyze_return_path - the address of the first Return-Path field, or NULL. */
static char *analyze_return_path(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end && *p != '\n' && *p != '\r') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (size_t)((eol ? eol : end) - p);
		if (ll > 12 && strncasecmp(p, "Return-Path:", 12) == 0) {
			char *v = strndup(p + 12, ll - 12);
			char *a = v ? address_strip(v) : NULL;
			free(v);
			return a;
		}
		p = eol ? eol + 1 : end;
	}
	return NULL;
}

/* analyze_report - the report for the message in text; NULL with err. */
static json_t *analyze_report(const mxray_config_t *cfg, const analyze_opts_t *o,
			      const strbuf_t *text, char *err, size_t errlen)
{
	resolver_t *r = resolver_new(cfg, err, errlen);
	if (r == NULL)
		return NULL;
	analysis_dns_t adns = analysis_dns_resolver(r);
	json_t *rep = NULL;
	dkim_verify_lib_t *lib = NULL;
	dkim_verify_t *v = NULL;
	spf_sandbox_t *sb = NULL;
	client_facts_t c;
	message_facts_t m;
	client_facts_init(&c);
	message_facts_init(&m);
	message_limits_set(&m.limits, cfg->max_headers, cfg->max_header_bytes, cfg->max_body_bytes);
	long long t0 = clock_ms();

	if (o->client_ip) {
		netaddr_t ip;
		if (netaddr_parse(o->client_ip, &ip) != 0) {
			snprintf(err, errlen, "--client-ip %.80s is not an IP address", o->client_ip);
			goto out;
		}
		snprintf(c.ip, sizeof(c.ip), "%s", o->client_ip);
	}
	facts_set(&c.helo, o->helo);
	if (o->mail_from) {
		message_facts_set_mail_from(&m, o->mail_from);
	} else {
		char *rp = analyze_return_path(text->data, text->len);
		message_facts_set_mail_from(&m, rp ? rp : "");
		free(rp);
	}
	spf_check_init();
	sb = spf_sandbox_start(&adns, cfg->command_timeout_ms, err, errlen);
	if (sb == NULL)
		goto out;
	if ((lib = dkim_verify_lib_new(&adns, err, errlen)) == NULL ||
	    (v = dkim_verify_new(lib, "analyze", err, errlen)) == NULL)
		goto out;
	analyze_message(text->data, text->len, &m, v);
	m.dkim = dkim_verify_finish(v);
	message_limits_dkim(&m.limits, m.dkim);
	m.spf = spf_sandbox_run(sb, c.ip[0] ? c.ip : NULL, c.helo, m.mail_from);
	reply_mode_t mode;
	if (reply_mode_parse(cfg->milter_reply_policy, &mode) != 0)
		mode = REPLY_AUTHENTICATED;
	m.reply_policy = reply_policy_decide(&m, mode, cfg->mail_from);	/* what the milter would do */
	m.dnsbl = dnsbl_check(&adns, c.ip[0] ? c.ip : NULL, cfg->milter_dnsbl, &cfg->allow_networks);
	/* a saved message has no MTA verdict on reverse DNS: HELO only */
	m.helo_check = helo_check(&adns, c.helo, c.ip[0] ? c.ip : NULL, NULL, NULL,
				  &cfg->allow_networks);

	char *domain = message_facts_domain(&m);
	if (domain == NULL) {
		snprintf(err, errlen, "%s", message_facts_null_sender(&m)
			 ? "no envelope sender (--mail-from, Return-Path) and no usable From: domain"
			 : "the envelope sender has no usable domain");
		goto out;
	}
	rep = json_object();
	json_object_set_new(rep, "format", json_integer(REPORT_FORMAT));
	json_object_set_new(rep, "created", record_now());
	record_set_text(rep, "domain", domain);
	json_object_set_new(rep, "message", message_facts_json(&c, &m, NULL));
	domain_policy_t *policy = NULL;
	resolver_t *jr = NULL;
	analysis_dns_t jdns = adns;	/* alive until domain_policy_finish */
	if (o->probe) {
		/* The probe's lookups end at its deadline, like the worker's. */
		jr = resolver_for_job(r, clock_ms() + cfg->job_deadline_ms);
		if (jr != NULL)
			jdns = analysis_dns_resolver(jr);
		policy = domain_policy_start(&jdns, NULL, domain);
		json_t *probe = probe_domain(cfg, jr ? jr : r, domain, err, errlen);
		if (probe == NULL) {
			domain_policy_finish(policy, &jdns, NULL);
			resolver_free(jr);
			free(domain);
			json_decref(rep);
			rep = NULL;
			goto out;
		}
		json_object_set(rep, "dns", json_object_get(probe, "dns"));
		json_object_set(rep, "mx", json_object_get(probe, "mx"));
		json_decref(probe);
	}
	free(domain);
	json_object_set_new(rep, "duration_ms", json_integer(clock_ms() - t0));
	domain_policy_finish(policy, &jdns, rep);
	resolver_free(jr);
	report_assess(rep);
out:
	dkim_verify_free(v);
	dkim_verify_lib_free(lib);
	spf_sandbox_stop(sb);
	message_facts_clear(&m);
	client_facts_clear(&c);
	resolver_free(r);
	return rep;
}

int cli_analyze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "client-ip", required_argument, NULL, 'i' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mail-from", required_argument, NULL, 'm' },
		{ "probe", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	analyze_opts_t o = { .format = "text" };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:f:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'f': o.format = optarg; break;
		case 'i': o.client_ip = optarg; break;
		case 'H': o.helo = optarg; break;
		case 'm': o.mail_from = optarg; break;
		case 'p': o.probe = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': analyze_usage(stdout); return 0;
		default: analyze_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (strcmp(o.format, "text") != 0 && strcmp(o.format, "json") != 0 &&
				   strcmp(o.format, "html") != 0)) {
		analyze_usage(stderr);
		return 2;
	}
	o.path = argv[optind];
	log_init("mxray", LOG_DEST_STDERR, o.verbose);
	netaddr_t ip;
	if (o.client_ip && netaddr_parse(o.client_ip, &ip) != 0) {
		/* a usage error, like an unknown option: nothing was tried */
		fprintf(stderr, "mxray analyze: --client-ip %.80s is not an IP address\n", o.client_ip);
		return 2;
	}

	mxray_config_t cfg;
	char err[1024];
	if (config_load(o.config ? o.config : config_default_path(), &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mxray analyze: %s\n", err);
		return 1;
	}
	strbuf_t text = STRBUF_INIT;
	strbuf_init(&text);
	json_t *rep = NULL;
	if (analyze_read(o.path, &text, err, sizeof(err)) == 0)
		rep = analyze_report(&cfg, &o, &text, err, sizeof(err));
	strbuf_free(&text);
	config_free(&cfg);
	if (rep == NULL) {
		fprintf(stderr, "mxray analyze: %s\n", err);
		return 1;
	}
	int rc = 0;
	strbuf_t out = STRBUF_INIT;
	strbuf_init(&out);
	if (strcmp(o.format, "json") == 0) {
		char *s = json_dumps(rep, JSON_INDENT(2));
		if (s)
			strbuf_printf(&out, "%s\n", s);
		else
			rc = 1;
		free(s);
	} else if ((strcmp(o.format, "html") == 0 ? report_render_html(rep, &out)
						  : report_render_text(rep, &out)) != 0) {
		rc = 1;
	}
	if (rc != 0)
		fprintf(stderr, "mxray analyze: cannot render the report\n");
	else
		fwrite(out.data ? out.data : "", 1, out.len, stdout);
	strbuf_free(&out);
	json_decref(rep);
	if (fflush(stdout) != 0)
		rc = 1;
	return rc;
}
