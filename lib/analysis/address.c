/*
 * address.c - bare addresses and their domains (see address.h).
 *
 * Deliberately small: mxray only needs the domain to probe and the address
 * to reply to. Anything odd (no '@', empty domain) gives NULL so the caller
 * decides; nothing here logs.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/address.h"
#include "base/log.h"
#include "base/text.h"

/* dup_n - malloc'd copy of n bytes; out of memory is fatal for us. */
static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p == NULL)
		log_panic("address: out of memory");
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *address_strip(const char *raw)
{
	if (raw == NULL)
		return NULL;
	const char *s = raw;
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strnlen(s, ADDRESS_MAX);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
	}
	return dup_n(s, n);
}

char *address_domain(const char *addr)
{
	if (addr == NULL)
		return NULL;
	size_t n = strnlen(addr, ADDRESS_MAX);
	const char *at = memrchr(addr, '@', n);
	if (at == NULL)
		return NULL;
	const char *d = at + 1;
	size_t dn = n - (size_t)(d - addr);
	/* A trailing dot names the same domain. */
	while (dn > 0 && d[dn - 1] == '.')
		dn--;
	if (dn == 0)
		return NULL;
	/* A domain with spaces or controls is not one we can probe. */
	for (size_t i = 0; i < dn; i++)
		if ((unsigned char)d[i] <= 0x20 || (unsigned char)d[i] >= 0x7f)
			return NULL;
	return text_lower(dup_n(d, dn));
}

char *address_header_domain(const char *value)
{
	if (value == NULL)
		return NULL;
	size_t n = strnlen(value, ADDRESS_MAX);
	const char *lt = memchr(value, '<', n);
	const char *start = value, *end = value + n;
	if (lt != NULL) {
		const char *gt = memchr(lt, '>', n - (size_t)(lt - value));
		start = lt + 1;
		end = gt != NULL ? gt : value + n;
	} else {
		/* "alice@example.org (Alice)": the first word holding an '@'. */
		const char *at = memchr(value, '@', n);
		if (at == NULL)
			return NULL;
		start = at;
		while (start > value && !isspace((unsigned char)start[-1]) && start[-1] != ',')
			start--;
		end = at;
		while (end < value + n && !isspace((unsigned char)*end) && *end != ',' &&
		       *end != '(' && *end != ';')
			end++;
	}
	char *bare = dup_n(start, (size_t)(end - start));
	char *dom = address_domain(text_trim(bare));
	free(bare);
	return dom;
}
