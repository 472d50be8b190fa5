/*
 * render_generic.h - facts the renderers do not know by name, shown anyway.
 * Internal to lib/report.
 *
 * Checks of other areas add fields to a report before the page learns to
 * lay them out; these functions show any JSON value as escaped key/value
 * tables and lists so nothing measured is hidden. Keys and values both
 * come from the report, so both are escaped; neither ever chooses an
 * element, attribute or class. Bounded in depth and entries.
 */
#ifndef MXRAY_REPORT_RENDER_GENERIC_H
#define MXRAY_REPORT_RENDER_GENERIC_H

#include <jansson.h>
#include "base/strbuf.h"

/* html_value - any JSON value, escaped: objects as tables, arrays as lists. */
void html_value(strbuf_t *out, const json_t *v);
/* html_more - the keys of obj not in known (NULL-terminated) and not
 * "findings" (rendered with the catalogue elsewhere), as one table;
 * nothing when there are none. */
void html_more(strbuf_t *out, const json_t *obj, const char *const known[]);

#endif
