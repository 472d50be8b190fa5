/*
 * render_findings.c - grade and findings from the catalogue (see .h).
 *
 * The explanation of every finding comes from lib/mail/finding.h's table,
 * never from the stored report, so the page always says what this version
 * of mxray means by an id; the report contributes the id, subject and
 * detail, which are outside text and escaped.
 */
#include <string.h>

#include "mail/finding.h"
#include "report/grade.h"
#include "report/render_findings.h"
#include "report/report_json.h"

const char findings_style[] =
	".grade{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin:1rem 0}"
	".badge{font-size:2.6rem;font-weight:700;min-width:4.5rem;text-align:center;"
	"border-radius:.5rem;padding:.3rem .6rem;color:#fff;background:#555}"
	".g-Aplus,.g-A{background:#17692e}.g-B{background:#5c7a12}.g-C{background:#8a5300}"
	".g-D,.g-F{background:#a8141d}"
	".subgrades span{margin-right:1rem;white-space:nowrap}"
	".fixes li{margin:.4rem 0}"
	".sev{font-size:.8rem;font-weight:700;text-transform:uppercase;padding:0 .3rem;"
	"border-radius:.2rem;border:1px solid currentColor}"
	".sev-critical{color:#a8141d}.sev-warning{color:#8a5300}.sev-notice{color:#5c5c00}"
	".sev-ok{color:#17692e}.sev-info{color:#444}";

/* grade_of - the report's grade object, or one computed now (old reports). */
static json_t *grade_of(const json_t *report)
{
	json_t *g = json_object_get(report, "grade");
	if (json_is_object(g))
		return json_incref(g);
	return report_grade(report);
}

static void grade_class(strbuf_t *out, const char *g)
{
	/* Only our own grade names become a class; anything else is neutral. */
	static const char *const known[] = { "A+", "A", "B", "C", "D", "F" };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (g && strcmp(g, known[i]) == 0) {
			strbuf_printf(out, " g-%s", strcmp(g, "A+") == 0 ? "Aplus" : g);
			return;
		}
}

void html_grade_summary(const json_t *report, strbuf_t *out)
{
	json_t *g = grade_of(report);
	const char *overall = rjson_str(g, "overall");
	strbuf_puts(out, "<section id=\"grade\"><div class=\"grade\"><div class=\"badge");
	grade_class(out, overall);
	strbuf_puts(out, "\" title=\"overall grade\">");
	strbuf_append_html(out, overall ? overall : "?");
	strbuf_puts(out, "</div><div class=\"subgrades\">");
	static const char *const areas[][2] = {
		{ "sending", "Sending" }, { "receiving", "Receiving" }, { "policy", "Domain policy" },
	};
	for (size_t i = 0; i < 3; i++) {
		const char *sub = rjson_str(g, areas[i][0]);
		strbuf_printf(out, "<span>%s: <b>", areas[i][1]);
		if (sub) {
			strbuf_append_html(out, sub);
		} else {
			strbuf_puts(out, "not graded</b> <span class=\"muted\">(");
			strbuf_append_html(out, rjson_str(rjson_obj(g, "not_graded"), areas[i][0]));
			strbuf_puts(out, ")</span><b>");
		}
		strbuf_puts(out, "</b></span>");
	}
	const char *capped = rjson_str(g, "overall_capped_by");
	const finding_def_t *cap = capped ? finding_lookup(capped) : NULL;
	if (cap) {
		strbuf_puts(out, "<div class=\"muted\">Grade limited by: ");
		strbuf_append_html(out, cap->title);
		strbuf_puts(out, "</div>");
	}
	strbuf_puts(out, "</div></div>\n");

	json_t *fixes = rjson_arr(g, "top_fixes");
	if (json_array_size(fixes) > 0) {
		strbuf_puts(out, "<h2>Fix these first</h2>\n<ol class=\"fixes\">\n");
		size_t i;
		json_t *f;
		json_array_foreach(fixes, i, f) {
			const finding_def_t *d = finding_lookup(rjson_str(f, "id") ?: "");
			if (d == NULL)
				continue;
			strbuf_printf(out, "<li><span class=\"sev sev-%s\">%s</span> <b>",
				      finding_severity_name(d->severity), finding_severity_name(d->severity));
			strbuf_append_html(out, d->title);
			strbuf_puts(out, "</b>");
			const char *subject = rjson_str(f, "subject");
			if (subject) {
				strbuf_puts(out, " <span class=\"muted\">(");
				strbuf_append_html(out, subject);
				strbuf_puts(out, ")</span>");
			}
			strbuf_puts(out, "<br>");
			strbuf_append_html(out, d->fix);
			strbuf_puts(out, "</li>\n");
		}
		strbuf_puts(out, "</ol>\n");
	} else if (overall) {
		strbuf_puts(out, "<p class=\"ok\">Nothing to fix: well done.</p>\n");
	}
	strbuf_puts(out, "</section>\n");
	json_decref(g);
}

static int severity_order(const char *id)
{
	const finding_def_t *d = finding_lookup(id ? id : "");
	if (d == NULL)
		return 9;
	switch (d->severity) {
	case FINDING_CRITICAL: return 0;
	case FINDING_WARNING: return 1;
	case FINDING_NOTICE: return 2;
	case FINDING_INFO: return 3;
	case FINDING_OK: return 4;
	}
	return 9;
}

void html_findings(const json_t *report, strbuf_t *out)
{
	json_t *all = report_findings(report);
	strbuf_puts(out, "<section id=\"findings\"><h2>Every finding</h2>\n");
	if (json_array_size(all) == 0)
		strbuf_puts(out, "<p class=\"muted\">No findings.</p>\n");
	for (int rank = 0; rank <= 4; rank++) {
		size_t i;
		json_t *f;
		json_array_foreach(all, i, f) {
			const char *id = rjson_str(f, "id");
			if (severity_order(id) != rank)
				continue;
			const finding_def_t *d = finding_lookup(id);
			const char *sev = finding_severity_name(d->severity);
			strbuf_printf(out, "<details><summary><span class=\"sev sev-%s\">%s</span> ", sev, sev);
			strbuf_append_html(out, d->title);
			const char *subject = rjson_str(f, "subject");
			if (subject) {
				strbuf_puts(out, " <span class=\"muted\">&ndash; ");
				strbuf_append_html(out, subject);
				strbuf_puts(out, "</span>");
			}
			strbuf_puts(out, "</summary>\n<table>");
			const char *rows[][2] = {
				{ "What it means", d->meaning }, { "Why it matters", d->why },
				{ "How to fix it", d->fix }, { "Standard", d->reference },
				{ "Evidence", rjson_str(f, "detail") }, { "Finding id", d->id },
			};
			for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
				if (rows[k][1] == NULL || rows[k][1][0] == '\0')
					continue;
				strbuf_printf(out, "<tr><th>%s</th><td>", rows[k][0]);
				strbuf_append_html(out, rows[k][1]);
				strbuf_puts(out, "</td></tr>");
			}
			strbuf_puts(out, "</table></details>\n");
		}
	}
	strbuf_puts(out, "</section>\n");
	json_decref(all);
}

void text_grade_summary(const json_t *report, strbuf_t *out)
{
	json_t *g = grade_of(report);
	const char *overall = rjson_str(g, "overall");
	strbuf_printf(out, "\nGrade:         %s", overall ? overall : "not graded");
	static const char *const areas[] = { "sending", "receiving", "policy" };
	strbuf_puts(out, "  (");
	for (size_t i = 0; i < 3; i++) {
		const char *sub = rjson_str(g, areas[i]);
		strbuf_printf(out, "%s%s %s", i ? ", " : "", areas[i], sub ? sub : "not graded");
	}
	strbuf_puts(out, ")\n");
	json_t *fixes = rjson_arr(g, "top_fixes");
	size_t i;
	json_t *f;
	json_array_foreach(fixes, i, f) {
		const finding_def_t *d = finding_lookup(rjson_str(f, "id") ?: "");
		if (d == NULL)
			continue;
		if (i == 0)
			strbuf_puts(out, "\nFix these first:\n");
		strbuf_printf(out, "  %zu. [%s] %s", i + 1, finding_severity_name(d->severity), d->title);
		const char *subject = rjson_str(f, "subject");
		if (subject) {
			/* Outside text: keep it printable in plain text too. */
			strbuf_puts(out, " (");
			for (const char *p = subject; *p && p - subject < 300; p++)
				strbuf_append(out, (*p >= 0x20 && *p < 0x7f) ? p : "?", 1);
			strbuf_puts(out, ")");
		}
		strbuf_printf(out, "\n     %s\n", d->fix);
	}
	json_decref(g);
}
