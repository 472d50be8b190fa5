/*
 * ini.c - strict INI reading (see ini.h for the grammar).
 *
 * Trusts nothing in the file: lines are bounded, sections and keys must be
 * made of [A-Za-z0-9_.-], and every problem names the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/ini.h"
#include "base/text.h"

/* ini_name_ok - section and key names: letters, digits, '_', '-', '.'. */
static int ini_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return 0;
	return 1;
}

/* ini_line - handle one line (NUL-terminated, no newline). */
static int ini_line(char *line, const char *name, int lineno, char *section,
		    size_t seclen, ini_handler_t handler, void *arg, char *err, size_t errlen)
{
	char why[512];
	char *s = text_trim(line);

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *end = strchr(s, ']');
		if (end == NULL || end[1] != '\0') {
			snprintf(err, errlen, "%s:%d: malformed section header", name, lineno);
			return -1;
		}
		*end = '\0';
		char *sec = text_trim(s + 1);
		if (!ini_name_ok(sec) || strlen(sec) >= seclen) {
			snprintf(err, errlen, "%s:%d: bad section name \"%s\"", name, lineno, sec);
			return -1;
		}
		snprintf(section, seclen, "%s", sec);
		return 0;
	}
	char *eq = strchr(s, '=');
	if (eq == NULL) {
		snprintf(err, errlen, "%s:%d: expected \"key = value\"", name, lineno);
		return -1;
	}
	*eq = '\0';
	char *key = text_trim(s);
	char *value = text_trim(eq + 1);
	if (!ini_name_ok(key)) {
		snprintf(err, errlen, "%s:%d: bad key name \"%s\"", name, lineno, key);
		return -1;
	}
	if (section[0] == '\0') {
		snprintf(err, errlen, "%s:%d: key \"%s\" outside any [section]", name, lineno, key);
		return -1;
	}
	why[0] = '\0';
	if (handler(arg, section, key, value, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s:%d: [%s] %s: %s", name, lineno, section, key,
			 why[0] ? why : "rejected");
		return -1;
	}
	return 0;
}

int ini_parse_string(const char *text, const char *name, ini_handler_t handler, void *arg,
		     char *err, size_t errlen)
{
	char section[128] = "";
	char line[INI_LINE_MAX + 1];
	int lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (n > INI_LINE_MAX) {
			snprintf(err, errlen, "%s:%d: line longer than %d bytes", name, lineno,
				 INI_LINE_MAX);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		if (memchr(line, '\0', n) != NULL && strlen(line) != n) {
			snprintf(err, errlen, "%s:%d: NUL byte in line", name, lineno);
			return -1;
		}
		if (ini_line(line, name, lineno, section, sizeof(section), handler, arg, err,
			     errlen) != 0)
			return -1;
		p += n;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int ini_parse_file(const char *path, ini_handler_t handler, void *arg, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		snprintf(err, errlen, "%s: not a regular file (a directory?): give the config "
			 "file's path", path);
		return -1;
	}
	/* Config files are small; 1 MiB is far beyond any real one. */
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	len = fread(buf, 1, cap + 1, f);
	int bad = ferror(f);
	fclose(f);
	if (bad || len > cap) {
		free(buf);
		snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "larger than 1 MiB");
		return -1;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		free(buf);
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return -1;
	}
	int rc = ini_parse_string(buf, path, handler, arg, err, errlen);
	free(buf);
	return rc;
}
