/*
 * tls_scan.h - the TLS scan of one MX address: every protocol (SSLv2 to
 * TLS 1.3) and every cipher suite it accepts, after STARTTLS, with
 * hand-built ClientHellos (clienthello.h), never a completed handshake.
 *
 * Each handshake is a NEW connection: connect, greeting, EHLO, STARTTLS
 * (smtp_client_starttls_raw), then the raw hello on the plain socket, so
 * the abuse guard and the verb whitelist of smtp_client apply to every
 * one. At most [probe] connections_per_address connections are open at
 * once per address (TLS_SCAN_MAX_PARALLEL at the most), at most
 * TLS_SCAN_MAX_HANDSHAKES in all, and all before the job deadline. A
 * connection the server refuses (a 421 greeting, a reset, a connection
 * limit) is retried with a backoff shared by the scan's threads.
 *
 * Per protocol: the main list (up to 128 suites servers commonly
 * accept) from both ends tells whether the server or the client chooses;
 * then the remaining suites are walked (offer, record the pick, remove
 * it, repeat until refused): one walk in a row for a server that chooses
 * (its order as it goes), interleaved walks side by side for one that
 * follows the client. Then supported groups (TLS 1.3 HelloRetryRequests,
 * or the ServerKeyExchange of TLS 1.2), the DHE prime size and whether it
 * is a published one, extensions, TLS_FALLBACK_SCSV, and, when the server
 * speaks the heartbeat extension, the safe Heartbleed probe. All of it is
 * one queue of hellos worked on by as many threads as connections may be
 * open (tls_scan_run's parallel), each
 * task queued as soon as the answers it needs are in (tls_scan.c says
 * how); the facts become the result in tls_scan_result.c.
 * The result is the address's "tls_scan" object (docs/report-format.md)
 * with findings from lib/mail/findings/scan.def.
 */
#ifndef MXRAY_PROBE_TLS_SCAN_H
#define MXRAY_PROBE_TLS_SCAN_H

#include <jansson.h>
#include "base/netaddr.h"
#include "mail/config.h"

#define TLS_SCAN_MAX_PARALLEL 8	/* hellos in flight at the most, whatever the config */
#define TLS_SCAN_MAX_HANDSHAKES 1500
#define TLS_SCAN_RETRIES 4	/* per connection the server refuses (link_open) */

/* How the scan gets a socket ready for a ClientHello: open returns a
 * connected fd (0), or with err -1 when trying again later may work (a
 * refused connection, a busy server) or TLS_SCAN_LINK_FINAL when it will
 * not (no STARTTLS); close ends that connection. The default
 * (tls_scan_address) speaks SMTP up to STARTTLS; tests plug in plain TCP
 * to a TLS server. */
#define TLS_SCAN_LINK_FINAL (-2)
typedef struct tls_scan_link {
	int (*open)(void *ctx, int *fd, void **conn, char *err, size_t errlen);
	void (*close)(void *ctx, void *conn);
	void *ctx;
} tls_scan_link_t;

/* tls_scan_run - scan through link with up to parallel hellos in flight
 * (1..TLS_SCAN_MAX_PARALLEL); sni may be NULL; deadline is absolute
 * clock_ms(); hello_timeout_ms bounds each hello's answer. Never fails:
 * problems are noted in the result's "errors". Adds findings with subject. */
json_t *tls_scan_run(const tls_scan_link_t *link, const char *sni, const char *subject,
		     int parallel, long long hello_timeout_ms, long long deadline);

/* tls_scan_address - scan addr of MX host over SMTP STARTTLS on
 * cfg->smtp_port (a new connection per hello). */
json_t *tls_scan_address(const mxray_config_t *cfg, const char *host, const netaddr_t *addr,
			 long long job_deadline);

#endif
