/*
 * strbuf.c - growable NUL-terminated byte strings (see strbuf.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strbuf.h"

void strbuf_init(strbuf_t *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void strbuf_free(strbuf_t *sb)
{
	free(sb->data);
	strbuf_init(sb);
}

/* strbuf_reserve - make room for extra more bytes plus the NUL. */
static void strbuf_reserve(strbuf_t *sb, size_t extra)
{
	if (extra > ((size_t)-1) / 2 - sb->len)
		log_panic("strbuf_reserve: size overflow");
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(sb->data, cap);
	if (p == NULL)
		log_panic("strbuf_reserve: out of memory (%zu bytes)", cap);
	sb->data = p;
	sb->cap = cap;
}

void strbuf_reset(strbuf_t *sb)
{
	strbuf_reserve(sb, 0);
	sb->len = 0;
	sb->data[0] = '\0';
}

void strbuf_append(strbuf_t *sb, const char *s, size_t len)
{
	strbuf_reserve(sb, len);
	if (len)
		memcpy(sb->data + sb->len, s, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

void strbuf_puts(strbuf_t *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void strbuf_vprintf(strbuf_t *sb, const char *fmt, va_list ap)
{
	/* Most pieces are short: format once into a stack buffer. */
	char small[256];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		log_panic("strbuf_vprintf: bad format \"%s\"", fmt);
	if ((size_t)n < sizeof(small)) {
		strbuf_append(sb, small, (size_t)n);
		return;
	}
	strbuf_reserve(sb, (size_t)n);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_printf(strbuf_t *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_append_html(strbuf_t *sb, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_puts(sb, "&amp;"); break;
		case '<': strbuf_puts(sb, "&lt;"); break;
		case '>': strbuf_puts(sb, "&gt;"); break;
		case '"': strbuf_puts(sb, "&quot;"); break;
		case '\'': strbuf_puts(sb, "&#39;"); break;
		default: strbuf_append(sb, s, 1); break;
		}
	}
}

char *strbuf_detach(strbuf_t *sb)
{
	strbuf_reserve(sb, 0);
	char *p = sb->data;
	strbuf_init(sb);
	return p;
}
