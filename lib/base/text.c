/*
 * text.c - printable, bounded copies of untrusted bytes (see text.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/text.h"

char *text_printable(const char *s, size_t len, size_t max_out)
{
	if (max_out < 8)
		max_out = 8;
	char *out = malloc(max_out + 1);
	if (out == NULL)
		log_panic("text_printable: out of memory");
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char piece[5];
		size_t n;
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			piece[0] = (char)c;
			n = 1;
		} else {
			snprintf(piece, sizeof(piece), "\\x%02x", c);
			n = 4;
		}
		/* Keep room for "..." so a cut is visible. */
		if (o + n > max_out - 3 && i + 1 < len) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (o + n > max_out)
			break;
		memcpy(out + o, piece, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

char *text_trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

char *text_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

int text_host_name_ok(const char *s, int min_labels, int wildcard)
{
	if (s == NULL)
		return 0;
	if (wildcard && strncmp(s, "*.", 2) == 0)
		s += 2;
	size_t n = strlen(s), label = 0;
	int labels = 1;
	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && !(c == '-' && label > 0))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && s[n - 1] != '-' && labels >= min_labels;
}
