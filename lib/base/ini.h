/*
 * ini.h - a strict INI file reader.
 *
 * Grammar: "[section]", "key = value", comments starting with '#' or ';'
 * at the start of a line, blank lines. No line continuation, no quotes (a
 * value is the trimmed rest of the line). Lines longer than INI_LINE_MAX
 * are an error, not truncated. The handler is called once per key and may
 * reject it (unknown key, bad value) with a message; parsing stops there.
 */
#ifndef MXRAY_BASE_INI_H
#define MXRAY_BASE_INI_H

#include <stddef.h>

#define INI_LINE_MAX 4096

/* Return 0 to go on, -1 to stop; write the reason into err. */
typedef int (*ini_handler_t)(void *arg, const char *section, const char *key,
			     const char *value, char *err, size_t errlen);

/* ini_parse_file - 0 on success; -1 with "FILE:LINE: reason" in err. */
int ini_parse_file(const char *path, ini_handler_t handler, void *arg,
		   char *err, size_t errlen);
/* ini_parse_string - the same for text in memory (tests, fuzzing). */
int ini_parse_string(const char *text, const char *name, ini_handler_t handler,
		     void *arg, char *err, size_t errlen);

#endif
