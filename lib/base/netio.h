/*
 * netio.h - bounded, deadline-guarded stream I/O over TCP, optionally TLS.
 *
 * General code: knows nothing of SMTP. A netio_t owns one connected
 * socket (non-blocking) and, once netio_start_tls ran, an OpenSSL SSL* on
 * that same socket. Every read and write takes an absolute deadline on
 * clock_ms()'s clock; a peer that stalls, trickles or floods meets a
 * deadline or a length limit, never a hang or an unbounded buffer.
 *
 * Trusts nothing the peer sends. Limits: a line is at most the caller's
 * maximum (NETIO_LINE_HARD_MAX at most); an overlong line is an error
 * ("line longer than N bytes"), never silently truncated.
 * Errors come back as -1 with a reason in err; netio_error_kind tells a
 * caller whether it was a timeout, end of stream, an overlong line or an
 * I/O error, so a probe can report "greeting timeout" distinctly.
 * A netio_t is used by one thread at a time.
 */
#ifndef MXRAY_BASE_NETIO_H
#define MXRAY_BASE_NETIO_H

#include <stddef.h>
#include <openssl/ssl.h>
#include "base/netaddr.h"

#define NETIO_LINE_HARD_MAX 65536

typedef enum netio_error {
	NETIO_ERR_NONE = 0,
	NETIO_ERR_TIMEOUT,	/* the deadline passed */
	NETIO_ERR_EOF,		/* the peer closed the stream */
	NETIO_ERR_TOOLONG,	/* a line exceeded the caller's maximum */
	NETIO_ERR_IO,		/* a system call failed (refused, reset ...) */
	NETIO_ERR_TLS,		/* the TLS layer failed (handshake, alert) */
	NETIO_ERR_STATE,	/* misuse, e.g. TLS with unread plaintext */
} netio_error_t;

typedef struct netio netio_t;

/* netio_connect - TCP connect to addr:port before deadline_ms; NULL + err. */
netio_t *netio_connect(const netaddr_t *addr, int port, long long deadline_ms,
		       netio_error_t *kind, char *err, size_t errlen);
/* netio_from_fd - wrap an already connected socket (made non-blocking). */
netio_t *netio_from_fd(int fd);
/* netio_free - shut TLS down quietly, close the socket; NULL is fine. */
void netio_free(netio_t *io);

/* netio_read_line - read one line ending in LF before deadline_ms. The
 * line (without CRLF / LF, NUL-terminated) goes to buf, which must hold
 * max_len + 1 bytes; the return value is its length (it may contain NUL
 * bytes from the peer). -1 with err on timeout, EOF, a line longer than
 * max_len, or an error. */
long netio_read_line(netio_t *io, char *buf, size_t max_len, long long deadline_ms,
		     char *err, size_t errlen);
/* netio_write_all - write len bytes before deadline_ms; 0 or -1 with err. */
int netio_write_all(netio_t *io, const void *data, size_t len, long long deadline_ms,
		    char *err, size_t errlen);
/* netio_pending - bytes received and buffered but not yet returned. */
size_t netio_pending(const netio_t *io);

/* netio_start_tls - run the TLS client handshake with ssl (taking ownership,
 * even on failure) before deadline_ms. Refuses (NETIO_ERR_STATE) when
 * plaintext is buffered: bytes sent before the handshake must never be read
 * as if they came over TLS. 0 or -1 with err. */
int netio_start_tls(netio_t *io, SSL *ssl, long long deadline_ms, char *err, size_t errlen);
/* netio_fd - the socket (borrowed: netio_free closes it), for callers that
 * speak a protocol of their own on it (the TLS scan's raw ClientHellos). */
int netio_fd(const netio_t *io);
/* netio_ssl - the TLS session (borrowed), NULL before netio_start_tls. */
SSL *netio_ssl(const netio_t *io);

/* netio_error_kind - what the last failure on io was. */
netio_error_t netio_error_kind(const netio_t *io);
const char *netio_error_name(netio_error_t e);	/* "timeout", "eof" ... */

#endif
