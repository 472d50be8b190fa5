/*
 * smtp_client.h - the only code that speaks SMTP to a probed server.
 *
 * DESIGN.md hard rule 1: toward a probed server mxray says EHLO (HELO as a
 * fallback), STARTTLS and QUIT, nothing else. This API has exactly those
 * verbs (plus open and close), and the one internal send function refuses
 * (log_panic) any other verb, so no caller can make mxray send mail.
 * tests/unit/probe/test_verb_guard.c proves it against a live server.
 *
 * smtp_client_open also applies the abuse guard (probe_guard_refuse) to
 * the exact address it is about to connect to.
 *
 * Each command has a phase timeout (connect, greeting, command, TLS) from
 * the options, capped by the whole job's deadline. Replies are read
 * strictly (smtp_reply.h). The first failure aborts the session: the state
 * becomes SMTP_STATE_ABORTED, smtp_client_failure says why, and every
 * later call but smtp_client_close fails. A transcript of every line sent
 * and received (printable, bounded) is kept for the report.
 */
#ifndef MXRAY_PROBE_SMTP_CLIENT_H
#define MXRAY_PROBE_SMTP_CLIENT_H

#include <stddef.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include "base/netaddr.h"
#include "mail/config.h"
#include "probe/smtp_reply.h"

typedef enum smtp_state {
	SMTP_STATE_CONNECTED = 0,	/* TCP up, greeting not read yet */
	SMTP_STATE_GREETED,		/* a 2xx greeting was read */
	SMTP_STATE_READY,		/* EHLO or HELO accepted (plaintext) */
	SMTP_STATE_TLS,			/* TLS is up: EHLO again */
	SMTP_STATE_TLS_READY,		/* EHLO accepted over TLS */
	SMTP_STATE_QUIT,		/* QUIT sent; only close remains */
	SMTP_STATE_ABORTED,		/* a failure ended the session */
} smtp_state_t;

const char *smtp_state_name(smtp_state_t s);

typedef struct smtp_client_opts {
	const netaddr_t *addr;
	int port;
	const char *peer_name;		/* MX host name, for logs */
	const char *helo_name;		/* our EHLO name: 0x21..0x7e only */
	const netrange_list_t *allow_networks;	/* non-public ranges allowed */
	long long connect_timeout_ms;
	long long greeting_timeout_ms;
	long long command_timeout_ms;
	long long tls_timeout_ms;
	long long job_deadline;		/* absolute clock_ms(); 0 = none */
	int max_per_address;		/* open connections to addr at once; 0 = no limit */
	long long slot_hold_ms;		/* how long a shared slot may count (conn_limit.h) */
} smtp_client_opts_t;

/* smtp_client_opts_for - the options for one MX address under cfg's
 * [probe] settings (port, HELO name, allowed networks, timeouts). */
smtp_client_opts_t smtp_client_opts_for(const mxray_config_t *cfg, const char *host,
					const netaddr_t *addr, long long job_deadline);

typedef struct smtp_client smtp_client_t;

/* smtp_client_open - guard, then connect; NULL with *fail and err
 * (SMTP_FAIL_REFUSED when the abuse guard said no, SMTP_FAIL_NO_SLOT when
 * no connection slot of the address came free before the deadline). */
smtp_client_t *smtp_client_open(const smtp_client_opts_t *opts, smtp_fail_t *fail,
				char *err, size_t errlen);
/* smtp_client_close - close without another word; NULL is fine. */
void smtp_client_close(smtp_client_t *c);

/* The commands. Each returns 0 when a well-formed reply was read (whatever
 * its code: the caller judges it), or -1 with err after aborting. */
int smtp_client_greeting(smtp_client_t *c, smtp_reply_t *reply, char *err, size_t errlen);
int smtp_client_ehlo(smtp_client_t *c, smtp_reply_t *reply, char *err, size_t errlen);
int smtp_client_helo(smtp_client_t *c, smtp_reply_t *reply, char *err, size_t errlen);
/* smtp_client_starttls - send STARTTLS; on a 220 run the TLS handshake with
 * ssl (prepared by tls_probe_ssl_new; ownership passes to the client in
 * every case). 0 = TLS is up; 1 = the server refused (reply says how);
 * -1 = failed, with err (a TLS failure is SMTP_FAIL_TLS). */
int smtp_client_starttls(smtp_client_t *c, SSL *ssl, smtp_reply_t *reply, char *err,
			 size_t errlen);
/* smtp_client_starttls_raw - send STARTTLS and, on a 220, hand over the
 * socket for the TLS scan's hand-built ClientHello (tls_scan.h) instead of
 * an OpenSSL handshake: 0 with *fd (borrowed; smtp_client_close closes it),
 * 1 = the server refused, -1 = failed with err (also when the server sent
 * anything after its 220). Afterwards only smtp_client_close is allowed
 * (state SMTP_STATE_QUIT): no SMTP verb is ever sent into a TLS stream. */
int smtp_client_starttls_raw(smtp_client_t *c, smtp_reply_t *reply, int *fd, char *err,
			     size_t errlen);
/* smtp_client_ehlo_starttls_raw - EHLO and STARTTLS pipelined in one
 * write (RFC 2920; only for a server known to offer PIPELINING), then the
 * two replies, and on 220 the socket as smtp_client_starttls_raw hands it
 * over: one round trip less per connection of the TLS scan. 1 = EHLO or
 * STARTTLS refused (the replies say how). */
int smtp_client_ehlo_starttls_raw(smtp_client_t *c, smtp_reply_t *ehlo, smtp_reply_t *reply,
				  int *fd, char *err, size_t errlen);
/* smtp_client_quit - send QUIT and wait briefly for the reply; never fails
 * the probe (a server that drops the line at QUIT is merely rude). */
void smtp_client_quit(smtp_client_t *c);

/* Read-only facts about the session (borrowed). */
smtp_state_t smtp_client_state(const smtp_client_t *c);
smtp_fail_t smtp_client_failure(const smtp_client_t *c);
long long smtp_client_connect_ms(const smtp_client_t *c);
json_t *smtp_client_transcript(const smtp_client_t *c);
SSL *smtp_client_ssl(const smtp_client_t *c);

#endif
