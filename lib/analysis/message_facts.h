/*
 * message_facts.h - what mxray keeps of a test message, and the job built
 * from it.
 *
 * The facts are extracted while the message passes (milter) or is read
 * (mxray analyze): the client, its TLS, the envelope, a few headers (From,
 * Message-ID, Date, Received), the SPF and DKIM results. Never the body
 * (DESIGN rule 3). Every string is outside text: kept bounded here
 * (FACTS_TEXT_MAX bytes, counts capped, the cut noted) and made printable
 * by record_text when it enters JSON.
 * client_facts_t belongs to an SMTP connection, message_facts_t to one
 * message of it; neither is shared between threads.
 */
#ifndef MXRAY_ANALYSIS_MESSAGE_FACTS_H
#define MXRAY_ANALYSIS_MESSAGE_FACTS_H

#include <stddef.h>
#include <jansson.h>
#include "analysis/message_limits.h"
#include "base/netaddr.h"
#include "mail/record.h"

#define FACTS_TEXT_MAX (RECORD_TEXT_MAX + 1)	/* bytes kept of one string */
#define FACTS_MAX_RCPT 100
#define FACTS_MAX_RECEIVED 100
#define FACTS_MAX_AUTH 16		/* Authentication-Results fields kept */
#define FACTS_MAX_ARC 48		/* ARC fields kept (16 sets of 3) */

typedef struct client_facts {
	char ip[NETADDR_STRLEN];	/* "" when unknown */
	char *name;			/* {client_name}, "unknown" if no rDNS */
	char *ptr;			/* {client_ptr} */
	char *helo;
	char *tls_version;		/* NULL: plaintext */
	char *tls_cipher;
	int tls_bits;			/* -1 unknown */
} client_facts_t;

typedef struct message_facts {
	char *mail_from;		/* bare; "" null sender; NULL none yet */
	char **rcpt;			/* the test recipients only */
	size_t rcpt_count;
	char *from, *message_id, *date;	/* first of each header */
	char *auto_submitted, *precedence, *list_id;	/* for the reply policy */
	int from_count, date_count, message_id_count;	/* fields seen */
	char *list_unsubscribe, *list_unsubscribe_post;	/* RFC 2369, RFC 8058 */
	char **auth_results;		/* Authentication-Results, unfolded */
	size_t auth_results_count;
	char **arc_names, **arc_values;	/* ARC-* fields, in message order */
	size_t arc_count;
	int auth_truncated;		/* more A-R or ARC fields than kept */
	char **received;		/* unfolded, in message order */
	size_t received_count;
	int received_truncated;		/* more, or longer, than kept */
	json_t *spf;			/* owned; NULL until evaluated */
	json_t *dkim;			/* owned array; NULL until evaluated */
	json_t *reply_policy;		/* owned; NULL: not decided (reply) */
	json_t *dnsbl;			/* owned array; NULL: not checked */
	json_t *helo_check;		/* owned (helo_check.h); NULL: not checked */
	message_limits_t limits;	/* what was read; the maxima outlive a clear */
} message_facts_t;

void client_facts_init(client_facts_t *c);
void client_facts_clear(client_facts_t *c);	/* free and re-init */
/* facts_set - replace *field with a bounded copy of value (NULL clears). */
void facts_set(char **field, const char *value);
/* client_facts_set_tls - from the MTA's {tls_version} {cipher}
 * {cipher_bits}; NULL values leave what is known. */
void client_facts_set_tls(client_facts_t *c, const char *version, const char *cipher,
			  const char *bits);

void message_facts_init(message_facts_t *m);
void message_facts_clear(message_facts_t *m);	/* free and re-init */
/* message_facts_set_mail_from - the MAIL FROM argument, <> stripped. */
void message_facts_set_mail_from(message_facts_t *m, const char *arg);
int message_facts_null_sender(const message_facts_t *m);
/* message_facts_add_rcpt - keep a (test) recipient, at most FACTS_MAX_RCPT. */
void message_facts_add_rcpt(message_facts_t *m, const char *addr);
/* message_facts_header - keep the field if it is one mxray reports (the
 * first of each; of Auto-Submitted and Precedence the first that makes
 * the mail automatic, if any does). */
void message_facts_header(message_facts_t *m, const char *name, const char *value);
/* facts_auto_submitted - an Auto-Submitted value other than "no" (RFC 3834 5). */
int facts_auto_submitted(const char *value);
/* facts_precedence_bulk - a Precedence value of bulk, list or junk. */
int facts_precedence_bulk(const char *value);
/* message_facts_list_mail - 1 with the reason in why (may be NULL) when
 * the mail says it is list or bulk mail: Precedence bulk/list/junk,
 * List-Id (RFC 2919) or List-Unsubscribe (RFC 2369). The one test for
 * headers.bulk and the reply policy. */
int message_facts_list_mail(const message_facts_t *m, char *why, size_t len);

/* message_facts_domain - the domain a report is about (malloc'd): the
 * envelope sender's, or the From domain for the null sender (mxray
 * analyze); NULL if none. */
char *message_facts_domain(const message_facts_t *m);
/* message_facts_json - the "message" object of docs/report-format.md;
 * queued is copied (NULL: now). */
json_t *message_facts_json(const client_facts_t *c, const message_facts_t *m,
			   const json_t *queued);
/* message_job_new - the job record (format JOB_FORMAT, kind "mail"); NULL
 * with the reason in err for the null sender, when the reply_policy says
 * "probe": false (automatic, list or own mail), or when there is no
 * domain to probe. A reply_policy that says no reply makes reply_to null;
 * the decision is in the job and in its message object as "reply_policy". */
json_t *message_job_new(const client_facts_t *c, const message_facts_t *m, char *err,
			size_t errlen);

#endif
