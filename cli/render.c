/*
 * render.c - `mxray render [-c FILE] [--format text|html|grade|mail] FILE|-`:
 * a report in the JSON of docs/report-format.md (what /r/<token>.json
 * serves and `mxray check --format json` prints) rendered as text or HTML,
 * its grade object as JSON (computed now when the report has none), or
 * the reply mail mxray-reporter would send for it (DKIM-signed when the
 * config has [mail] dkim_key), dated now and not sent.
 *
 * For admins keeping a report past its expiry, and for tests that render
 * synthetic or hostile reports without Redis. The file is not trusted:
 * it goes through the same defensive renderers as the site. Limit: files
 * up to RENDER_MAX_BYTES.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "base/strbuf.h"
#include "mail/config.h"
#include "report/grade.h"
#include "report/render.h"
#include "report/reply.h"
#include "render.h"

#define RENDER_MAX_BYTES (16 * 1024 * 1024)

static void render_usage(FILE *out)
{
	fprintf(out, "usage: mxray render [-c FILE] [--format text|html|grade|mail] FILE|-\n"
		     "  Renders a report stored as JSON (docs/report-format.md) as text\n"
		     "  (default), an HTML page, its grade as JSON, or the reply mail that\n"
		     "  would be sent for it (with -c's [mail] settings; nothing is sent).\n"
		     "  Exit 0 when rendered, 1 when the file is not a readable report,\n"
		     "  2 on usage errors.\n");
}

/* render_mail - the reply for rep into out, per the config at path. */
static int render_mail(const char *path, const json_t *rep, strbuf_t *out)
{
	mxray_config_t cfg;
	char err[512];
	if (config_load(path ? path : config_default_path(), &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mxray render: %s\n", err);
		return -1;
	}
	const char *rcpt = reply_recipient(rep);
	int r = -1;
	if (rcpt == NULL)
		snprintf(err, sizeof(err), "the report names no address to reply to");
	else
		r = reply_compose(&cfg, rep, rcpt, time(NULL), out, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "mxray render: %s\n", err);
	config_free(&cfg);
	return r;
}

int cli_render(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = "text", *cfg_path = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 'f': format = optarg; break;
		case 'h': render_usage(stdout); return 0;
		default: render_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || (strcmp(format, "text") != 0 && strcmp(format, "html") != 0 &&
				   strcmp(format, "grade") != 0 && strcmp(format, "mail") != 0)) {
		render_usage(stderr);
		return 2;
	}
	const char *path = argv[optind];
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (in == NULL) {
		fprintf(stderr, "mxray render: cannot open %s\n", path);
		return 1;
	}
	strbuf_t text = STRBUF_INIT;
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0 && text.len <= RENDER_MAX_BYTES)
		strbuf_append(&text, buf, n);
	if (in != stdin)
		fclose(in);
	if (text.len > RENDER_MAX_BYTES) {
		fprintf(stderr, "mxray render: %s is larger than %d bytes\n", path, RENDER_MAX_BYTES);
		strbuf_free(&text);
		return 1;
	}
	json_error_t jerr;
	json_t *rep = json_loadb(text.data ? text.data : "", text.len, JSON_REJECT_DUPLICATES, &jerr);
	strbuf_free(&text);
	if (rep == NULL) {
		fprintf(stderr, "mxray render: %s: %s (line %d)\n", path, jerr.text, jerr.line);
		return 1;
	}
	strbuf_t out = STRBUF_INIT;
	int r = 0;
	if (strcmp(format, "grade") == 0) {
		json_t *g = json_is_object(json_object_get(rep, "grade"))
			? json_incref(json_object_get(rep, "grade")) : report_grade(rep);
		char *s = json_dumps(g, JSON_INDENT(2) | JSON_SORT_KEYS);
		if (s)
			strbuf_printf(&out, "%s\n", s);
		free(s);
		json_decref(g);
	} else if (strcmp(format, "mail") == 0) {
		r = render_mail(cfg_path, rep, &out);
		if (r != 0) {
			json_decref(rep);
			strbuf_free(&out);
			return 1;
		}
	} else {
		r = strcmp(format, "html") == 0 ? report_render_html(rep, &out)
						: report_render_text(rep, &out);
	}
	json_decref(rep);
	if (r != 0) {
		fprintf(stderr, "mxray render: %s is not a format-1 report\n", path);
		strbuf_free(&out);
		return 1;
	}
	fwrite(out.data ? out.data : "", 1, out.len, stdout);
	strbuf_free(&out);
	return fflush(stdout) == 0 ? 0 : 1;
}
