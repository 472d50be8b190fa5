/*
 * strbuf.h - a growable byte string, NUL-terminated at all times.
 *
 * Allocation failure is a panic (the programs cannot do anything useful
 * without memory). strbuf_append_html escapes &, <, >, " and ' so that any
 * text, however hostile, is inert inside HTML element content and quoted
 * attribute values.
 */
#ifndef MXRAY_BASE_STRBUF_H
#define MXRAY_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
	char *data;	/* always NUL-terminated once initialised */
	size_t len;
	size_t cap;
} strbuf_t;

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(strbuf_t *sb);
void strbuf_free(strbuf_t *sb);
void strbuf_reset(strbuf_t *sb);
void strbuf_append(strbuf_t *sb, const char *s, size_t len);
void strbuf_puts(strbuf_t *sb, const char *s);
void strbuf_printf(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf_t *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* strbuf_append_html - append s with HTML metacharacters escaped. */
void strbuf_append_html(strbuf_t *sb, const char *s);
/* strbuf_detach - hand the buffer to the caller (free() it); sb is reset. */
char *strbuf_detach(strbuf_t *sb);

#endif
