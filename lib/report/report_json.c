/*
 * report_json.c - defensive accessors for report JSON (see report_json.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report_json.h"

const char *rjson_str(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *rjson_obj(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_object(v) ? v : NULL;
}

json_t *rjson_arr(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_array(v) ? v : NULL;
}

int rjson_int(const json_t *obj, const char *key, long long *out)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!json_is_integer(v))
		return 0;
	*out = (long long)json_integer_value(v);
	return 1;
}

int rjson_bool(const json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_boolean(v) ? json_is_true(v) : -1;
}

int rjson_time(const char *text, time_t *out)
{
	struct tm tm;
	char z;
	int n = 0;

	if (text == NULL || strlen(text) != 20)
		return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &n) != 7 || n != 20 || z != 'Z')
		return -1;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = timegm(&tm);
	return 0;
}
