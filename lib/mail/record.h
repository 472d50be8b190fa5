/*
 * record.h - the versioned JSON records passed between mxray's processes,
 * and the helpers every producer uses to put outside text into them.
 *
 * A job (milter -> worker) and a report (worker -> reporter, CLI output)
 * are JSON objects with "format" = their version. docs/report-format.md
 * describes every field. Readers reject other versions loudly.
 * Outside text (banners, headers, certificate fields, DNS data) goes in
 * only through record_text, which makes it printable and bounds it.
 */
#ifndef MXRAY_MAIL_RECORD_H
#define MXRAY_MAIL_RECORD_H

#include <stddef.h>
#include <jansson.h>

#define JOB_FORMAT 1
#define REPORT_FORMAT 1
#define RECORD_TEXT_MAX 4096	/* longest outside string kept in a record */

/* record_text - a JSON string of printable, bounded text (new reference). */
json_t *record_text(const char *s, size_t len);
/* record_set_text - obj[key] = record_text(s) (NUL-terminated); NULL s -> null. */
void record_set_text(json_t *obj, const char *key, const char *s);
/* record_check_format - 0 if obj is an object with "format" == want, else -1
 * with the reason in err. */
int record_check_format(const json_t *obj, int want, char *err, size_t errlen);
/* record_now - current time as an RFC 3339 JSON string. */
json_t *record_now(void);

#endif
