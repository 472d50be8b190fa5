/*
 * render_findings.h - the grade, the top fixes and the findings, as HTML
 * and as text: the parts of a report page that come from the catalogue.
 * Internal to lib/report (render_html.c and render_text.c call them).
 */
#ifndef MXRAY_REPORT_RENDER_FINDINGS_H
#define MXRAY_REPORT_RENDER_FINDINGS_H

#include <jansson.h>
#include "base/strbuf.h"

/* CSS the HTML below relies on (appended to the page's style). */
extern const char findings_style[];

/* html_grade_summary - the grade, sub-grades and the three top fixes. */
void html_grade_summary(const json_t *report, strbuf_t *out);
/* html_findings - every finding with what it means, why, how to fix, RFC. */
void html_findings(const json_t *report, strbuf_t *out);
/* text_grade_summary - grade line, sub-grades and top fixes as text. */
void text_grade_summary(const json_t *report, strbuf_t *out);

#endif
