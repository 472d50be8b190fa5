/*
 * netio.c - bounded, deadline-guarded stream I/O, plain or TLS (see netio.h).
 *
 * The socket is always non-blocking; every wait is a poll() bounded by
 * the time left until the caller's absolute deadline. TLS uses the same
 * socket with non-blocking OpenSSL calls: SSL_ERROR_WANT_READ/WRITE turn
 * into a poll for the matching direction. The receive buffer holds at most
 * one maximal line plus its CRLF, so a flood costs a fixed amount of memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <openssl/err.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/netio.h"

#define NETIO_BUF_SIZE (NETIO_LINE_HARD_MAX + 2)

struct netio {
	int fd;
	SSL *ssl;
	netio_error_t last;
	size_t start, end;		/* unread bytes are buf[start..end) */
	char buf[NETIO_BUF_SIZE];
};

static const char *const netio_error_names[] = {
	[NETIO_ERR_NONE] = "none",
	[NETIO_ERR_TIMEOUT] = "timeout",
	[NETIO_ERR_EOF] = "eof",
	[NETIO_ERR_TOOLONG] = "line too long",
	[NETIO_ERR_IO] = "i/o error",
	[NETIO_ERR_TLS] = "tls error",
	[NETIO_ERR_STATE] = "misuse",
};

const char *netio_error_name(netio_error_t e)
{
	if ((unsigned)e < sizeof(netio_error_names) / sizeof(netio_error_names[0]))
		return netio_error_names[e];
	return "?";
}

/* fail - record the kind of failure and its reason; always returns -1. */
static int fail(netio_t *io, netio_error_t kind, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(netio_t *io, netio_error_t kind, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (io)
		io->last = kind;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* tls_reason - OpenSSL's error queue as one line (emptied), into buf. */
static void tls_reason(char *buf, size_t len, int sys_errno)
{
	unsigned long e;
	size_t o = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char one[256];
		ERR_error_string_n(e, one, sizeof(one));
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "; " : "", one);
	}
	if (buf[0] == '\0') {
		if (sys_errno)
			snprintf(buf, len, "%s", strerror(sys_errno));
		else
			snprintf(buf, len, "connection closed by peer");
	}
}

/* wait_fd - poll fd for events until deadline_ms: 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long long deadline_ms)
{
	for (;;) {
		long long left = deadline_ms - clock_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

static netio_t *netio_alloc(int fd)
{
	netio_t *io = calloc(1, sizeof(*io));
	if (io == NULL)
		log_panic("netio: out of memory");
	io->fd = fd;
	return io;
}

netio_t *netio_connect(const netaddr_t *addr, int port, long long deadline_ms,
		       netio_error_t *kind, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = netaddr_to_sockaddr(addr, port, &ss);
	char name[NETADDR_STRLEN];
	int fd, soerr = 0;
	socklen_t olen = sizeof(soerr);

	netaddr_format(addr, name, sizeof(name));
	*kind = NETIO_ERR_IO;
	fd = socket(addr->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", name, strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		if (errno != EINPROGRESS) {
			snprintf(err, errlen, "connect to %s port %d: %s", name, port, strerror(errno));
			close(fd);
			return NULL;
		}
		int w = wait_fd(fd, POLLOUT, deadline_ms);
		if (w == 0) {
			*kind = NETIO_ERR_TIMEOUT;
			snprintf(err, errlen, "connect to %s port %d: timed out", name, port);
			close(fd);
			return NULL;
		}
		if (w < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &olen) != 0)
			soerr = errno;
		if (soerr != 0) {
			snprintf(err, errlen, "connect to %s port %d: %s", name, port, strerror(soerr));
			close(fd);
			return NULL;
		}
	}
	*kind = NETIO_ERR_NONE;
	return netio_alloc(fd);
}

netio_t *netio_from_fd(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	return netio_alloc(fd);
}

void netio_free(netio_t *io)
{
	if (io == NULL)
		return;
	if (io->ssl) {
		/* One non-blocking close_notify; never wait for the peer's. */
		(void)SSL_shutdown(io->ssl);
		SSL_free(io->ssl);
		ERR_clear_error();
	}
	if (io->fd >= 0)
		close(io->fd);
	free(io);
}

/* fill - read more bytes into the buffer before deadline; 0 or -1. */
static int fill(netio_t *io, long long deadline_ms, char *err, size_t errlen)
{
	if (io->start > 0) {
		memmove(io->buf, io->buf + io->start, io->end - io->start);
		io->end -= io->start;
		io->start = 0;
	}
	if (io->end >= sizeof(io->buf))
		return fail(io, NETIO_ERR_STATE, err, errlen, "netio: receive buffer full");
	for (;;) {
		short want;
		if (io->ssl) {
			ERR_clear_error();
			int n = SSL_read(io->ssl, io->buf + io->end, (int)(sizeof(io->buf) - io->end));
			if (n > 0) {
				io->end += (size_t)n;
				return 0;
			}
			int se = SSL_get_error(io->ssl, n), saved = errno;
			if (se == SSL_ERROR_WANT_READ) {
				want = POLLIN;
			} else if (se == SSL_ERROR_WANT_WRITE) {
				want = POLLOUT;
			} else if (se == SSL_ERROR_ZERO_RETURN) {
				return fail(io, NETIO_ERR_EOF, err, errlen, "connection closed (TLS close_notify)");
			} else {
				char why[512];
				tls_reason(why, sizeof(why), se == SSL_ERROR_SYSCALL ? saved : 0);
				return fail(io, se == SSL_ERROR_SYSCALL && saved == 0 ? NETIO_ERR_EOF
						: NETIO_ERR_TLS, err, errlen, "TLS read: %s", why);
			}
		} else {
			ssize_t n = recv(io->fd, io->buf + io->end, sizeof(io->buf) - io->end, 0);
			if (n > 0) {
				io->end += (size_t)n;
				return 0;
			}
			if (n == 0)
				return fail(io, NETIO_ERR_EOF, err, errlen, "connection closed by peer");
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return fail(io, NETIO_ERR_IO, err, errlen, "read: %s", strerror(errno));
			want = POLLIN;
		}
		int w = wait_fd(io->fd, want, deadline_ms);
		if (w == 0)
			return fail(io, NETIO_ERR_TIMEOUT, err, errlen, "timed out waiting for data");
		if (w < 0)
			return fail(io, NETIO_ERR_IO, err, errlen, "poll: %s", strerror(errno));
	}
}

long netio_read_line(netio_t *io, char *buf, size_t max_len, long long deadline_ms,
		     char *err, size_t errlen)
{
	if (max_len > NETIO_LINE_HARD_MAX)
		max_len = NETIO_LINE_HARD_MAX;
	for (;;) {
		char *base = io->buf + io->start;
		size_t avail = io->end - io->start;
		char *nl = memchr(base, '\n', avail);
		if (nl != NULL) {
			size_t n = (size_t)(nl - base);
			size_t used = n + 1;
			if (n > 0 && base[n - 1] == '\r')
				n--;
			if (n > max_len)
				return fail(io, NETIO_ERR_TOOLONG, err, errlen,
					    "line longer than %zu bytes", max_len);
			memcpy(buf, base, n);
			buf[n] = '\0';
			io->start += used;
			return (long)n;
		}
		/* No LF yet: more than max_len + CR pending is already too long. */
		if (avail > max_len + 1)
			return fail(io, NETIO_ERR_TOOLONG, err, errlen, "line longer than %zu bytes",
				    max_len);
		if (fill(io, deadline_ms, err, errlen) != 0)
			return -1;
	}
}

int netio_write_all(netio_t *io, const void *data, size_t len, long long deadline_ms,
		    char *err, size_t errlen)
{
	const char *p = data;

	while (len > 0) {
		short want;
		if (io->ssl) {
			ERR_clear_error();
			int chunk = len > 65536 ? 65536 : (int)len;
			int n = SSL_write(io->ssl, p, chunk);
			if (n > 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			int se = SSL_get_error(io->ssl, n), saved = errno;
			if (se == SSL_ERROR_WANT_READ) {
				want = POLLIN;
			} else if (se == SSL_ERROR_WANT_WRITE) {
				want = POLLOUT;
			} else {
				char why[512];
				tls_reason(why, sizeof(why), se == SSL_ERROR_SYSCALL ? saved : 0);
				return fail(io, NETIO_ERR_TLS, err, errlen, "TLS write: %s", why);
			}
		} else {
			ssize_t n = send(io->fd, p, len, MSG_NOSIGNAL);
			if (n > 0) {
				p += n;
				len -= (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				return fail(io, errno == EPIPE ? NETIO_ERR_EOF : NETIO_ERR_IO, err,
					    errlen, "write: %s", strerror(errno));
			want = POLLOUT;
		}
		int w = wait_fd(io->fd, want, deadline_ms);
		if (w == 0)
			return fail(io, NETIO_ERR_TIMEOUT, err, errlen, "timed out writing");
		if (w < 0)
			return fail(io, NETIO_ERR_IO, err, errlen, "poll: %s", strerror(errno));
	}
	return 0;
}

size_t netio_pending(const netio_t *io)
{
	return io->end - io->start;
}

int netio_start_tls(netio_t *io, SSL *ssl, long long deadline_ms, char *err, size_t errlen)
{
	if (io->ssl != NULL) {
		SSL_free(ssl);
		return fail(io, NETIO_ERR_STATE, err, errlen, "TLS already started");
	}
	if (netio_pending(io) > 0) {
		SSL_free(ssl);
		return fail(io, NETIO_ERR_STATE, err, errlen,
			    "%zu bytes of plaintext arrived before the TLS handshake",
			    netio_pending(io));
	}
	io->ssl = ssl;
	if (SSL_set_fd(ssl, io->fd) != 1)
		return fail(io, NETIO_ERR_TLS, err, errlen, "SSL_set_fd failed");
	for (;;) {
		ERR_clear_error();
		int n = SSL_connect(ssl);
		if (n == 1)
			return 0;
		int se = SSL_get_error(ssl, n), saved = errno;
		short want;
		if (se == SSL_ERROR_WANT_READ) {
			want = POLLIN;
		} else if (se == SSL_ERROR_WANT_WRITE) {
			want = POLLOUT;
		} else {
			char why[512];
			tls_reason(why, sizeof(why), se == SSL_ERROR_SYSCALL ? saved : 0);
			return fail(io, NETIO_ERR_TLS, err, errlen, "TLS handshake: %s", why);
		}
		int w = wait_fd(io->fd, want, deadline_ms);
		if (w == 0)
			return fail(io, NETIO_ERR_TIMEOUT, err, errlen, "TLS handshake timed out");
		if (w < 0)
			return fail(io, NETIO_ERR_IO, err, errlen, "poll: %s", strerror(errno));
	}
}

int netio_fd(const netio_t *io)
{
	return io->fd;
}

SSL *netio_ssl(const netio_t *io)
{
	return io->ssl;
}

netio_error_t netio_error_kind(const netio_t *io)
{
	return io->last;
}
