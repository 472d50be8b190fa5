/*
 * smtp_server.h - a tiny scripted SMTP server on loopback for the probe's
 * unit tests, run in a thread. It records every command line it receives
 * (before and after TLS) so tests can assert what mxray said, and it can
 * misbehave on purpose: delay its greeting, refuse the session, reject
 * EHLO. STARTTLS uses a self-signed certificate made in-process.
 *
 * Test-only code: blocking sockets, fixed buffers, one connection at a
 * time, a bounded number of connections.
 */
#ifndef MXRAY_TEST_SMTP_SERVER_H
#define MXRAY_TEST_SMTP_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define TS_MAX_CMDS 64

typedef enum ts_mode {
	TS_NORMAL,		/* 220, EHLO with STARTTLS, TLS, EHLO, QUIT */
	TS_GREETING_DELAY,	/* say nothing for 1.5 s, then close */
	TS_GREETING_554,	/* "554 no service", then wait for QUIT */
	TS_EHLO_REJECT,		/* EHLO -> 502, HELO -> 250 */
	TS_NO_STARTTLS,		/* EHLO without STARTTLS */
} ts_mode_t;

typedef struct test_server {
	ts_mode_t mode;
	const char *bind_ip;		/* default 127.0.0.1 */
	int listen_fd;
	int port;
	int max_conns;			/* connections served before the thread ends */
	pthread_t thread;
	SSL_CTX *tls;
	char cert_file[64];		/* the self-signed certificate as PEM */
	/* What happened (read after ts_stop). */
	int accepted;
	int tls_done;
	int ncmds;
	char cmds[TS_MAX_CMDS][256];
} test_server_t;

/* ts_make_cert - a self-signed RSA 2048 certificate for name, into the
 * server's TLS context and (PEM) into a temp file usable as a CA file. */
static inline int ts_make_cert(test_server_t *ts, const char *name)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *x = X509_new();
	if (key == NULL || x == NULL)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 4711);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, n);
	char san[300];
	snprintf(san, sizeof(san), "DNS:%s", name);
	X509V3_CTX v3;
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		return -1;
	ts->tls = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(ts->tls, x);
	SSL_CTX_use_PrivateKey(ts->tls, key);
	snprintf(ts->cert_file, sizeof(ts->cert_file), "/tmp/mxray-test-cert-XXXXXX");
	int fd = mkstemp(ts->cert_file);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL)
		return -1;
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
	return 0;
}

/* Connection I/O, plain or TLS, blocking. */
typedef struct ts_conn {
	int fd;
	SSL *ssl;
} ts_conn_t;

static inline void ts_send(ts_conn_t *c, const char *s)
{
	if (c->ssl)
		SSL_write(c->ssl, s, (int)strlen(s));
	else
		(void)!send(c->fd, s, strlen(s), MSG_NOSIGNAL);
}

/* ts_read_line - one line without CRLF; -1 on EOF or a 5 s silence. */
static inline int ts_read_line(ts_conn_t *c, char *buf, size_t len)
{
	size_t o = 0;
	for (;;) {
		char ch;
		int n;
		if (c->ssl) {
			n = SSL_read(c->ssl, &ch, 1);
		} else {
			struct pollfd p = { .fd = c->fd, .events = POLLIN };
			if (poll(&p, 1, 5000) <= 0)
				return -1;
			n = (int)recv(c->fd, &ch, 1, 0);
		}
		if (n <= 0)
			return -1;
		if (ch == '\n')
			break;
		if (ch != '\r' && o + 1 < len)
			buf[o++] = ch;
	}
	buf[o] = '\0';
	return (int)o;
}

static inline void ts_record(test_server_t *ts, const char *line)
{
	if (ts->ncmds < TS_MAX_CMDS)
		snprintf(ts->cmds[ts->ncmds++], sizeof(ts->cmds[0]), "%.255s", line);
}

static inline void ts_session(test_server_t *ts, int fd)
{
	ts_conn_t c = { fd, NULL };
	char line[1024];

	if (ts->mode == TS_GREETING_DELAY) {
		usleep(1500 * 1000);
		return;
	}
	if (ts->mode == TS_GREETING_554)
		ts_send(&c, "554 mx.probe.test no service for you\r\n");
	else
		ts_send(&c, "220-mx.probe.test ESMTP test server\r\n220 second line\r\n");
	while (ts_read_line(&c, line, sizeof(line)) >= 0) {
		ts_record(ts, line);
		if (strncasecmp(line, "EHLO", 4) == 0) {
			if (ts->mode == TS_EHLO_REJECT)
				ts_send(&c, "502 5.5.1 EHLO not implemented\r\n");
			else if (c.ssl || ts->mode == TS_NO_STARTTLS)
				ts_send(&c, "250-mx.probe.test\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
			else
				ts_send(&c, "250-mx.probe.test\r\n250-PIPELINING\r\n250-STARTTLS\r\n"
					    "250 8BITMIME\r\n");
		} else if (strncasecmp(line, "HELO", 4) == 0) {
			ts_send(&c, "250 mx.probe.test\r\n");
		} else if (strcasecmp(line, "STARTTLS") == 0 && c.ssl == NULL) {
			ts_send(&c, "220 2.0.0 go ahead\r\n");
			c.ssl = SSL_new(ts->tls);
			SSL_set_fd(c.ssl, fd);
			if (SSL_accept(c.ssl) != 1) {
				ERR_clear_error();
				break;
			}
			ts->tls_done = 1;
		} else if (strcasecmp(line, "QUIT") == 0) {
			ts_send(&c, "221 2.0.0 bye\r\n");
			break;
		} else {
			ts_send(&c, "502 5.5.2 not here\r\n");
		}
	}
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
}

static inline void *ts_main(void *arg)
{
	test_server_t *ts = arg;
	for (int i = 0; i < ts->max_conns; i++) {
		struct pollfd p = { .fd = ts->listen_fd, .events = POLLIN };
		if (poll(&p, 1, 10000) <= 0)
			break;
		int fd = accept(ts->listen_fd, NULL, NULL);
		if (fd < 0)
			break;
		ts->accepted++;
		ts_session(ts, fd);
		close(fd);
	}
	return NULL;
}

/* ts_listen - bind ip:0 and listen; returns the fd, port in *port. */
static inline int ts_listen(const char *ip, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* ts_start - start a server in mode; 0 ok. */
static inline int ts_start(test_server_t *ts, ts_mode_t mode)
{
	memset(ts, 0, sizeof(*ts));
	ts->mode = mode;
	ts->max_conns = 1;
	if (ts_make_cert(ts, "mx.probe.test") != 0)
		return -1;
	ts->listen_fd = ts_listen("127.0.0.1", &ts->port);
	if (ts->listen_fd < 0)
		return -1;
	return pthread_create(&ts->thread, NULL, ts_main, ts) == 0 ? 0 : -1;
}

/* ts_stop - wait for the thread (it ends after its sessions) and clean up. */
static inline void ts_stop(test_server_t *ts)
{
	shutdown(ts->listen_fd, SHUT_RDWR);
	pthread_join(ts->thread, NULL);
	close(ts->listen_fd);
	SSL_CTX_free(ts->tls);
	if (ts->cert_file[0])
		unlink(ts->cert_file);
}

#endif
