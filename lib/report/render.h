/*
 * render.h - a report (docs/report-format.md, format 1) as text or HTML.
 *
 * Both renderers are pure: they read the report and append to out, with
 * no I/O and no clock. They trust nothing in the report: any field may be
 * missing, null or of the wrong JSON type and is then shown as absent;
 * every string goes through strbuf_append_html in the HTML page, and
 * through a control-character filter in the text. Used by mxray-reporter
 * (the page, the reply mail) and by `mxray check --format text|html`.
 */
#ifndef MXRAY_REPORT_RENDER_H
#define MXRAY_REPORT_RENDER_H

#include <jansson.h>
#include "base/strbuf.h"

/* report_render_text - a short plain-text summary; 0, or -1 (out untouched)
 * if report is not a format-1 report. */
int report_render_text(const json_t *report, strbuf_t *out);
/* report_render_html - one self-contained HTML page (no script, no external
 * resources); 0, or -1 (out untouched) if not a format-1 report. */
int report_render_html(const json_t *report, strbuf_t *out);

#endif
