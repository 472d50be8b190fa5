/*
 * address.h - mail addresses as they arrive in SMTP and in headers.
 *
 * Trusts nothing: the input is whatever the client sent. The envelope
 * helpers do not validate RFC 5321 syntax; they extract what mxray needs
 * (the bare address, its domain) and return NULL when there is none. The
 * header parser does validate RFC 5322 syntax, since DMARC depends on it. Results
 * are malloc'd copies, bounded by ADDRESS_MAX; no shared state (the milter
 * calls them from many threads).
 */
#ifndef MXRAY_ANALYSIS_ADDRESS_H
#define MXRAY_ANALYSIS_ADDRESS_H

#include <stddef.h>

#define ADDRESS_MAX 1024	/* longer input is cut (RFC 5321 path: 256) */

/* address_strip - the bare address of a MAIL/RCPT argument: white space and
 * one pair of <> removed ("<a@b>" -> "a@b", "<>" -> ""); malloc'd. */
char *address_strip(const char *raw);
/* address_domain - lowercased domain after the last '@' of a bare address
 * (malloc'd), or NULL when there is no '@', nothing after it, or bytes
 * outside printable ASCII or spaces in it. */
char *address_domain(const char *addr);
#define ADDRESS_LIST_MAX 16	/* mailboxes kept of one field (all are counted) */
#define ADDRESS_LIST_TEXT_MAX 8192	/* a longer field value is not parsed */

/* address_list_t - the mailboxes of an address-list field (From, Sender,
 * Reply-To), in order; group members count, group names do not. */
typedef struct address_list {
	size_t count;			/* mailboxes found, even past ADDRESS_LIST_MAX */
	char *addr[ADDRESS_LIST_MAX];	/* addr-spec as written: local@domain */
	char *domain[ADDRESS_LIST_MAX];	/* lowercase; NULL for a literal or non-ASCII */
	char error[200];		/* the first syntax violation, "" if none */
} address_list_t;

/* address_list_parse - an RFC 5322 3.4 address-list (with the obsolete
 * forms of 4.4 a receiver must accept): display names, quoted strings,
 * comments, angle addresses, source routes, groups. 0, or -1 with the
 * first violation in out->error (the mailboxes before it are kept).
 * Free with address_list_free in either case. */
int address_list_parse(const char *value, address_list_t *out);
void address_list_free(address_list_t *l);
/* address_author_domain - the one domain of a From field (RFC 7489 3.1:
 * the author domain DMARC is judged for), malloc'd; NULL with the reason
 * in why when the field does not parse, holds no mailbox, holds mailboxes
 * of different domains, or one without a usable domain. */
char *address_author_domain(const char *value, char *why, size_t whylen);

#endif
