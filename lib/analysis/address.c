/*
 * address.c - bare addresses, their domains, and the address lists of
 * header fields (see address.h).
 *
 * The envelope helpers are small: mxray only needs the domain to probe and
 * the address to reply to. The header parser is strict, because the From
 * domain decides DMARC: a display name or comment that looks like an
 * address must never be taken for one. Anything odd gives NULL or an error
 * text so the caller decides; nothing here logs.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
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

/* ---- RFC 5322 3.4 address lists ----
 *
 * A small lexer turns the value into words (atoms with their dots, quoted
 * strings, domain literals) and the specials < > @ , : ; with comments
 * and folding white space skipped, so nothing inside a comment or a
 * quoted string can pose as an address: the display name
 * "x <a@paypal.com>" stays one word. The parser above it follows the
 * grammar (name-addr, addr-spec, group, the obsolete route and empty list
 * elements of RFC 5322 4.4) and stops at the first violation, naming it. */

typedef enum { TOK_END, TOK_ATOM, TOK_QUOTED, TOK_LITERAL, TOK_SPECIAL, TOK_BAD } tok_kind_t;

typedef struct tok {
	tok_kind_t kind;
	const char *start;	/* into the value; quoted strings with their quotes */
	size_t len;
} tok_t;

typedef struct lexer {
	const char *p, *end;
	tok_t ahead;		/* one token of lookahead */
	int have_ahead;
	address_list_t *out;
} lexer_t;

/* is_atext - RFC 5322 3.2.3 atext, plus '.' (dot-atom and obs-phrase) and
 * UTF-8 bytes (RFC 6532). */
static int is_atext(unsigned char c)
{
	return isalnum(c) || c >= 0x80 || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

__attribute__((format(printf, 2, 3)))
static void list_error(address_list_t *l, const char *fmt, ...)
{
	if (l->error[0])
		return;	/* the first problem is the one to fix */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->error, sizeof(l->error), fmt, ap);
	va_end(ap);
}

/* skip_cfws - white space and (nested) comments; 0, or -1 when a comment
 * is not closed. */
static int skip_cfws(lexer_t *lx)
{
	int depth = 0;
	for (; lx->p < lx->end; lx->p++) {
		char c = *lx->p;
		if (depth && c == '\\' && lx->p + 1 < lx->end) {
			lx->p++;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')' && depth)
			depth--;
		else if (!depth && c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return 0;
	}
	return depth ? -1 : 0;
}

/* lex - the next token, read from the value. */
static tok_t lex(lexer_t *lx)
{
	tok_t t = { TOK_END, lx->p, 0 };
	if (skip_cfws(lx) != 0) {
		list_error(lx->out, "%s", "a comment is not closed with ')'");
		t.kind = TOK_BAD;
		return t;
	}
	t.start = lx->p;
	if (lx->p >= lx->end)
		return t;
	unsigned char c = (unsigned char)*lx->p;
	if (c == '"' || c == '[') {
		char close = c == '"' ? '"' : ']';
		const char *q = lx->p + 1;
		while (q < lx->end && *q != close) {
			if (*q == '\\' && q + 1 < lx->end)
				q++;
			else if (close == ']' && (*q == '[' || *q == '\\'))
				break;
			q++;
		}
		if (q >= lx->end || *q != close) {
			list_error(lx->out, "%s", c == '"' ? "a quoted string is not closed with '\"'"
							   : "a domain literal is not closed with ']'");
			t.kind = TOK_BAD;
			lx->p = lx->end;
			return t;
		}
		t.kind = c == '"' ? TOK_QUOTED : TOK_LITERAL;
		t.len = (size_t)(q + 1 - lx->p);
		lx->p = q + 1;
	} else if (strchr("<>@,:;", c) != NULL) {
		t.kind = TOK_SPECIAL;
		t.len = 1;
		lx->p++;
	} else if (is_atext(c)) {
		while (lx->p < lx->end && is_atext((unsigned char)*lx->p))
			lx->p++;
		t.kind = TOK_ATOM;
		t.len = (size_t)(lx->p - t.start);
	} else {
		if (c < 0x20 || c == 0x7f)
			list_error(lx->out, "control character 0x%02x", c);
		else
			list_error(lx->out, "'%c' outside a quoted string or comment", c);
		t.kind = TOK_BAD;
	}
	return t;
}

static tok_t peek(lexer_t *lx)
{
	if (!lx->have_ahead) {
		lx->ahead = lex(lx);
		lx->have_ahead = 1;
	}
	return lx->ahead;
}

static tok_t next(lexer_t *lx)
{
	tok_t t = peek(lx);
	lx->have_ahead = 0;
	return t;
}

static int is_special(tok_t t, char c)
{
	return t.kind == TOK_SPECIAL && t.start[0] == c;
}

/* tok_name - what a token is, for an error message (into buf). */
static const char *tok_name(tok_t t, char *buf, size_t len)
{
	if (t.kind == TOK_END)
		return "the end";
	snprintf(buf, len, "\"%.*s\"", (int)(t.len > 40 ? 40 : t.len), t.start);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	return buf;
}

/* dot_atom_ok - no leading, trailing or doubled dot (RFC 5322 3.2.3). */
static int dot_atom_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return 0;
	return 1;
}

/* add_mailbox - keep one addr-spec: local (as written) @ domain. */
static void add_mailbox(address_list_t *l, const char *local, size_t ln, tok_t dom)
{
	l->count++;
	if (l->count > ADDRESS_LIST_MAX)
		return;
	size_t i = l->count - 1;
	char *addr = malloc(ln + 1 + dom.len + 1);
	if (addr == NULL)
		log_panic("address: out of memory");
	memcpy(addr, local, ln);
	addr[ln] = '@';
	memcpy(addr + ln + 1, dom.start, dom.len);
	addr[ln + 1 + dom.len] = '\0';
	l->addr[i] = addr;
	/* A domain literal names a host, not a domain DMARC or a probe can
	 * use; so does a name with bytes outside ASCII (an IDN U-label
	 * would need IDNA2008 conversion first). */
	l->domain[i] = dom.kind == TOK_ATOM ? address_domain(addr) : NULL;
}

/* parse_addr_spec - local-part "@" domain; stops before the token after
 * the domain. 0, or -1 with the error set. */
static int parse_addr_spec(lexer_t *lx)
{
	char local[ADDRESS_MAX], b[64];
	size_t ln = 0;
	tok_t t;
	/* local-part = dot-atom / quoted-string, or obs-local-part: words
	 * joined by dots; the lexer keeps dots inside atoms. */
	for (;;) {
		t = next(lx);
		if (is_special(t, '@'))
			break;
		if (t.kind != TOK_ATOM && t.kind != TOK_QUOTED) {
			if (t.kind != TOK_BAD && ln > 0)
				list_error(lx->out, "\"%.*s\" is not an address (no @domain)",
					   (int)(ln > 60 ? 60 : ln), local);
			else if (t.kind != TOK_BAD)
				list_error(lx->out, "%s where the local part of an address was expected",
					   tok_name(t, b, sizeof(b)));
			return -1;
		}
		if (ln + t.len >= sizeof(local)) {
			list_error(lx->out, "%s", "an address is too long");
			return -1;
		}
		/* obs-local-part: word *("." word), so two words need a dot */
		if (ln > 0 && local[ln - 1] != '.' && t.start[0] != '.') {
			list_error(lx->out, "\"%.*s\" is not an address (a space in the local part, or no @)",
				   (int)(ln > 60 ? 60 : ln), local);
			return -1;
		}
		memcpy(local + ln, t.start, t.len);
		ln += t.len;
	}
	if (ln == 0 || (local[0] != '"' && !dot_atom_ok(local, ln))) {
		list_error(lx->out, "%s", "an address has an empty or malformed local part");
		return -1;
	}
	t = next(lx);
	if ((t.kind == TOK_ATOM && !dot_atom_ok(t.start, t.len)) ||
	    (t.kind != TOK_ATOM && t.kind != TOK_LITERAL)) {
		if (t.kind != TOK_BAD)
			list_error(lx->out, "%s where the domain of an address was expected",
				   tok_name(t, b, sizeof(b)));
		return -1;
	}
	add_mailbox(lx->out, local, ln, t);
	return 0;
}

/* parse_angle_addr - after '<': [obs-route] addr-spec '>'. */
static int parse_angle_addr(lexer_t *lx)
{
	char b[64];
	if (is_special(peek(lx), '>')) {
		list_error(lx->out, "%s", "an empty address <>");
		return -1;
	}
	if (is_special(peek(lx), '@')) {
		/* obs-route "@a.example,@b.example:" (RFC 5322 4.4): ignored */
		for (int i = 0; i < 64; i++) {
			tok_t t = next(lx);
			if (is_special(t, ':'))
				break;
			if (t.kind == TOK_END || t.kind == TOK_BAD || i == 63) {
				list_error(lx->out, "%s", "a source route is not closed with ':'");
				return -1;
			}
		}
	}
	if (parse_addr_spec(lx) != 0)
		return -1;
	tok_t t = next(lx);
	if (!is_special(t, '>')) {
		if (t.kind != TOK_BAD)
			list_error(lx->out, "%s where '>' was expected", tok_name(t, b, sizeof(b)));
		return -1;
	}
	return 0;
}

#define PHRASE_MAX 64	/* words of a display name */
#define ADDRESS_LIST_LIMIT 1000	/* mailboxes counted before giving up */

/* parse_mailbox - a mailbox, or (when groups are allowed) a group. */
static int parse_mailbox(lexer_t *lx, int group_ok)
{
	tok_t words[PHRASE_MAX];
	size_t nw = 0;
	int has_at = 0;
	char b[64];
	for (;;) {
		tok_t t = peek(lx);
		if (t.kind == TOK_BAD)
			return -1;
		if (t.kind != TOK_ATOM && t.kind != TOK_QUOTED && t.kind != TOK_LITERAL &&
		    !is_special(t, '@'))
			break;
		if (nw == PHRASE_MAX) {
			list_error(lx->out, "more than %d words before an address", PHRASE_MAX);
			return -1;
		}
		has_at |= is_special(t, '@') || t.kind == TOK_LITERAL;
		words[nw++] = next(lx);
	}
	tok_t t = peek(lx);
	if (is_special(t, '<') || is_special(t, ':')) {
		/* display-name = phrase: words, never '@' */
		if (has_at) {
			list_error(lx->out, "%s", "'@' in a display name outside quotes");
			return -1;
		}
		next(lx);
		if (is_special(t, '<'))
			return parse_angle_addr(lx);
		if (!group_ok) {
			list_error(lx->out, "%s", "a group inside a group");
			return -1;
		}
		if (nw == 0) {
			list_error(lx->out, "%s", "a group without a name");
			return -1;
		}
		/* group = display-name ":" [group-list] ";" */
		for (;;) {
			t = peek(lx);
			if (is_special(t, ';')) {
				next(lx);
				return 0;
			}
			if (is_special(t, ',')) {	/* obs-group-list: empty elements */
				next(lx);
				continue;
			}
			if (lx->out->count >= ADDRESS_LIST_LIMIT) {
				list_error(lx->out, "more than %d addresses", ADDRESS_LIST_LIMIT);
				return -1;
			}
			if (parse_mailbox(lx, 0) != 0)
				return -1;
			t = peek(lx);
			if (!is_special(t, ',') && !is_special(t, ';')) {
				if (t.kind != TOK_BAD)
					list_error(lx->out, "%s where ',' or ';' was expected in a group",
						   tok_name(t, b, sizeof(b)));
				return -1;
			}
		}
	}
	if (nw == 0) {
		if (t.kind != TOK_BAD)
			list_error(lx->out, "%s where an address was expected", tok_name(t, b, sizeof(b)));
		return -1;
	}
	/* a bare addr-spec: the words read were its local part */
	lx->have_ahead = 0;
	lx->p = words[0].start;
	return parse_addr_spec(lx);
}

int address_list_parse(const char *value, address_list_t *out)
{
	memset(out, 0, sizeof(*out));
	if (value == NULL) {
		list_error(out, "%s", "no value");
		return -1;
	}
	lexer_t lx = { value, value + strnlen(value, ADDRESS_LIST_TEXT_MAX), { 0 }, 0, out };
	if (value[lx.end - value] != '\0') {
		list_error(out, "longer than %d bytes", ADDRESS_LIST_TEXT_MAX);
		return -1;
	}
	char b[64];
	for (;;) {	/* each turn consumes a token: bounded by the length */
		tok_t t = peek(&lx);
		if (t.kind == TOK_END)
			break;
		if (is_special(t, ',')) {	/* obs-addr-list: empty elements */
			next(&lx);
			continue;
		}
		if (out->count >= ADDRESS_LIST_LIMIT) {
			list_error(out, "more than %d addresses", ADDRESS_LIST_LIMIT);
			return -1;
		}
		if (parse_mailbox(&lx, 1) != 0)
			return -1;
		t = peek(&lx);
		if (t.kind != TOK_END && !is_special(t, ',')) {
			if (t.kind != TOK_BAD)
				list_error(out, "%s after an address", tok_name(t, b, sizeof(b)));
			return -1;
		}
	}
	return out->error[0] ? -1 : 0;
}

void address_list_free(address_list_t *l)
{
	size_t n = l->count < ADDRESS_LIST_MAX ? l->count : ADDRESS_LIST_MAX;
	for (size_t i = 0; i < n; i++) {
		free(l->addr[i]);
		free(l->domain[i]);
	}
	memset(l, 0, sizeof(*l));
}

char *address_author_domain(const char *value, char *why, size_t whylen)
{
	address_list_t l;
	char *dom = NULL;
	if (address_list_parse(value, &l) != 0) {
		snprintf(why, whylen, "the From field is not RFC 5322 syntax: %s", l.error);
	} else if (l.count == 0) {
		snprintf(why, whylen, "%s", "the From field holds no address");
	} else {
		size_t n = l.count < ADDRESS_LIST_MAX ? l.count : ADDRESS_LIST_MAX;
		for (size_t i = 0; i < n; i++) {
			if (l.domain[i] == NULL) {
				snprintf(why, whylen, "the address %.200s has no usable domain "
					 "(an address literal or not ASCII)", l.addr[i]);
				free(dom);
				dom = NULL;
				break;
			}
			if (dom == NULL) {
				dom = strdup(l.domain[i]);
				if (dom == NULL)
					log_panic("address: out of memory");
			} else if (strcmp(dom, l.domain[i]) != 0) {
				snprintf(why, whylen, "the From field names mailboxes of several domains "
					 "(%.100s, %.100s): no single author domain", dom, l.domain[i]);
				free(dom);
				dom = NULL;
				break;
			}
		}
	}
	address_list_free(&l);
	return dom;
}
