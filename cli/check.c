/*
 * check.c - `mxray check [-c FILE] [-v] [--format text|json|html] DOMAIN`.
 *
 * Runs the same probe as mxray-worker (probe_domain), in-process, with no
 * Redis, and prints the report: JSON as documented in
 * docs/report-format.md (without "token" and "expires", which only stored
 * reports have), or text/HTML through lib/report/render.h.
 * Exit 0 when a report was produced whatever its grade, 1 when it could
 * not be produced (config, resolver, CA file), 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "mail/config.h"
#include "mail/record.h"
#include "mail/resolver.h"
#include "probe/mx.h"
#include "probe/probe.h"
#include "analysis/domain_policy.h"
#include "report/assess.h"
#include "report/render.h"

static void check_usage(FILE *out)
{
	fprintf(out, "usage: mxray check [-c FILE] [-v] [--format text|json|html] DOMAIN\n"
		     "  Probes DOMAIN's MX hosts (DNS, SMTP, STARTTLS, certificates) and prints\n"
		     "  the report. Exit 0 when a report was produced, 1 when it could not be,\n"
		     "  2 on usage errors.\n");
}

typedef enum check_format { CHECK_TEXT, CHECK_JSON, CHECK_HTML } check_format_t;

/* check_report - the report for domain (new reference), NULL with err. */
static json_t *check_report(const mxray_config_t *cfg, const char *domain, char *err,
			    size_t errlen)
{
	resolver_t *r = resolver_new(cfg, err, errlen);
	if (r == NULL)
		return NULL;
	analysis_dns_t adns = analysis_dns_resolver(r);
	/* forked while this process has one thread: before the probe's */
	spf_sandbox_t *sb = spf_sandbox_start(&adns, cfg->command_timeout_ms, err, errlen);
	if (sb == NULL) {
		resolver_free(r);
		return NULL;
	}
	long long t0 = clock_ms();
	json_t *created = record_now();
	/* Every lookup of the check, the DMARC record's too, ends at its
	 * deadline whatever the domain's name servers do. */
	resolver_t *jr = resolver_for_job(r, t0 + cfg->job_deadline_ms);
	analysis_dns_t jdns = analysis_dns_resolver(jr ? jr : r);
	domain_policy_t *policy = jr ? domain_policy_start(&jdns, sb, domain) : NULL;
	json_t *probe = jr ? probe_domain(cfg, jr, domain, err, errlen) : NULL;
	if (jr == NULL)
		snprintf(err, errlen, "out of memory");
	if (probe == NULL) {
		domain_policy_finish(policy, &jdns, NULL);
		resolver_free(jr);
		spf_sandbox_stop(sb);
		resolver_free(r);
		json_decref(created);
		return NULL;
	}
	json_t *rep = json_object();
	json_object_set_new(rep, "format", json_integer(REPORT_FORMAT));
	json_object_set_new(rep, "created", created);
	record_set_text(rep, "domain", domain);
	json_object_set_new(rep, "duration_ms", json_integer(clock_ms() - t0));
	json_object_set(rep, "dns", json_object_get(probe, "dns"));
	json_object_set(rep, "mx", json_object_get(probe, "mx"));
	domain_policy_finish(policy, &jdns, rep);
	spf_sandbox_stop(sb);
	resolver_free(jr);
	resolver_free(r);
	report_assess(rep);
	json_decref(probe);
	return rep;
}

int cli_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	check_format_t format = CHECK_TEXT;
	int c, verbose = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:f:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'v': verbose = 1; break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				format = CHECK_TEXT;
			else if (strcmp(optarg, "json") == 0)
				format = CHECK_JSON;
			else if (strcmp(optarg, "html") == 0)
				format = CHECK_HTML;
			else {
				fprintf(stderr, "mxray check: unknown format '%s' (text, json, html)\n",
					optarg);
				return 2;
			}
			break;
		case 'h': check_usage(stdout); return 0;
		default: check_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		check_usage(stderr);
		return 2;
	}
	const char *domain = argv[optind];
	if (!mx_domain_ok(domain)) {
		fprintf(stderr, "mxray check: \"%.80s\" is not a domain name\n", domain);
		return 2;
	}
	log_init("mxray", LOG_DEST_STDERR, verbose);

	mxray_config_t cfg;
	char err[1024];
	if (path == NULL)
		path = config_default_path();
	if (config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mxray check: %s\n", err);
		return 1;
	}
	json_t *rep = check_report(&cfg, domain, err, sizeof(err));
	config_free(&cfg);
	if (rep == NULL) {
		fprintf(stderr, "mxray check: %s: %s\n", domain, err);
		return 1;
	}
	int rc = 0;
	if (format == CHECK_JSON) {
		char *text = json_dumps(rep, JSON_INDENT(2));
		if (text == NULL) {
			fprintf(stderr, "mxray check: cannot serialise the report\n");
			rc = 1;
		} else {
			printf("%s\n", text);
			free(text);
		}
	} else {
		strbuf_t out = STRBUF_INIT;
		strbuf_init(&out);
		int r = format == CHECK_HTML ? report_render_html(rep, &out)
					     : report_render_text(rep, &out);
		if (r != 0) {
			fprintf(stderr, "mxray check: cannot render the report\n");
			rc = 1;
		} else {
			fwrite(out.data, 1, out.len, stdout);
		}
		strbuf_free(&out);
	}
	if (fflush(stdout) != 0)
		rc = 1;
	json_decref(rep);
	return rc;
}
