/*
 * fuzz_report.c - libFuzzer target: any bytes as a stored report (the
 * reporter reads them back from Redis): JSON parse, assess and grade,
 * render as HTML and text. Nothing may crash, and no rendered page may
 * contain a raw "<script".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "report/assess.h"
#include "report/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *rep = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (rep == NULL)
		return 0;
	strbuf_t out = STRBUF_INIT;
	if (report_render_html(rep, &out) == 0 && out.data && strstr(out.data, "<script"))
		abort();
	strbuf_free(&out);
	report_assess(rep);
	(void)report_render_text(rep, &out);
	strbuf_free(&out);
	if (report_render_html(rep, &out) == 0 && out.data && strstr(out.data, "<script"))
		abort();
	strbuf_free(&out);
	json_decref(rep);
	return 0;
}
