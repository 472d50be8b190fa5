/*
 * record.c - helpers for the versioned JSON records (see record.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/text.h"
#include "mail/record.h"

json_t *record_text(const char *s, size_t len)
{
	char *p = text_printable(s, len, RECORD_TEXT_MAX);
	json_t *j = json_string(p);
	free(p);
	return j;
}

void record_set_text(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, s ? record_text(s, strlen(s)) : json_null());
}

int record_check_format(const json_t *obj, int want, char *err, size_t errlen)
{
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "record is not a JSON object");
		return -1;
	}
	json_t *f = json_object_get(obj, "format");
	if (!json_is_integer(f)) {
		snprintf(err, errlen, "record has no integer \"format\" field");
		return -1;
	}
	if (json_integer_value(f) != want) {
		snprintf(err, errlen, "record format %lld is not the supported format %d",
			 (long long)json_integer_value(f), want);
		return -1;
	}
	return 0;
}

json_t *record_now(void)
{
	char buf[32];
	clock_rfc3339(time(NULL), buf, sizeof(buf));
	return json_string(buf);
}
