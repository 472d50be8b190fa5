/*
 * clienthello.c - raw ClientHello builder and ServerHello reader (see
 * clienthello.h). Every read from a server buffer goes through the
 * bounded cursor below: a length that runs past what is there makes the
 * reply CH_MALFORMED, never a read past the end.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base/clock.h"
#include "probe/clienthello.h"
#include "probe/dh_primes.h"
#include "probe/tls_suites.h"

/* ---- writing ---------------------------------------------------------- */

typedef struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int overflow;
} wbuf_t;

static void put8(wbuf_t *w, unsigned v)
{
	if (w->len + 1 > w->cap) {
		w->overflow = 1;
		return;
	}
	w->p[w->len++] = (uint8_t)v;
}

static void put16(wbuf_t *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xff);
}

static void put_bytes(wbuf_t *w, const void *d, size_t n)
{
	if (w->len + n > w->cap) {
		w->overflow = 1;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put_random(wbuf_t *w, size_t n)
{
	uint8_t r[64];
	if (n > sizeof(r) || RAND_bytes(r, (int)n) != 1)
		memset(r, 0x5a, sizeof(r));
	put_bytes(w, r, n);
}

/* patch16 - write v at offset at (a length field filled in afterwards). */
static void patch16(wbuf_t *w, size_t at, size_t v)
{
	if (w->overflow || at + 2 > w->len)
		return;
	w->p[at] = (uint8_t)(v >> 8);
	w->p[at + 1] = (uint8_t)(v & 0xff);
}

static void patch24(wbuf_t *w, size_t at, size_t v)
{
	if (w->overflow || at + 3 > w->len)
		return;
	w->p[at] = (uint8_t)(v >> 16);
	w->p[at + 1] = (uint8_t)(v >> 8);
	w->p[at + 2] = (uint8_t)(v & 0xff);
}

/* The groups offered unless the caller names some (RFC 8446 4.2.7 order). */
static const uint16_t default_groups[] = {
	0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
	0x0016, 0x0015, 0x0014, 0x0013, 0x0012, 0x0011, 0x0010, 0x000f, 0x000e, 0x000d,
	0x000c, 0x000b, 0x000a, 0x0009, 0x0008, 0x0007, 0x0006, 0x0005, 0x0004, 0x0003,
	0x0002, 0x0001, 0x001a, 0x001b, 0x001c,
};

/* Every signature scheme a server might want, so none refuses for lack. */
static const uint16_t sig_algs[] = {
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a,
	0x080b, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602,
	0x0203, 0x0201, 0x0202,
};

static long build_ssl2(const ch_params_t *p, wbuf_t *w)
{
	size_t body = 9 + 3 * p->nsuites + 16;
	put16(w, 0x8000 | body);
	put8(w, 1);			/* CLIENT-HELLO */
	put16(w, CH_SSL2);
	put16(w, 3 * p->nsuites);
	put16(w, 0);			/* session id */
	put16(w, 16);			/* challenge */
	for (size_t i = 0; i < p->nsuites; i++) {
		put8(w, (p->suites[i] >> 16) & 0xff);
		put16(w, p->suites[i] & 0xffff);
	}
	put_random(w, 16);
	return w->overflow ? -1 : (long)w->len;
}

long ch_build(const ch_params_t *p, uint8_t *out, size_t cap)
{
	wbuf_t w = { out, 0, cap, 0 };
	const uint16_t *groups = p->groups ? p->groups : default_groups;
	size_t ngroups = p->groups ? p->ngroups : sizeof(default_groups) / sizeof(default_groups[0]);
	int tls13 = p->version == CH_TLS13;

	if (p->nsuites == 0 || p->nsuites > CH_MAX_SUITES || ngroups > 64 ||
	    (p->version != CH_SSL2 && (p->version < CH_SSL3 || p->version > CH_TLS13)))
		return -1;
	if (p->version == CH_SSL2)
		return build_ssl2(p, &w);

	put8(&w, 22);				/* handshake record */
	put16(&w, p->version == CH_SSL3 ? CH_SSL3 : CH_TLS10);
	size_t rec_len = w.len;
	put16(&w, 0);
	put8(&w, 1);				/* client_hello */
	size_t hs_len = w.len;
	put8(&w, 0);
	put16(&w, 0);
	put16(&w, tls13 ? CH_TLS12 : (unsigned)p->version);
	put_random(&w, 32);
	if (tls13) {				/* middlebox-compatible session id */
		put8(&w, 32);
		put_random(&w, 32);
	} else {
		put8(&w, 0);
	}
	int scsv = p->version == CH_SSL3;	/* SSLv3: signal renegotiation by SCSV */
	put16(&w, 2 * (p->nsuites + (size_t)scsv));
	for (size_t i = 0; i < p->nsuites; i++)
		put16(&w, p->suites[i] & 0xffff);
	if (scsv)
		put16(&w, 0x00ff);
	put8(&w, 1);				/* compression: null only */
	put8(&w, 0);

	if (p->version != CH_SSL3) {
		size_t ext_len = w.len;
		put16(&w, 0);
		if (p->sni && *p->sni) {
			size_t n = strlen(p->sni);
			if (n > 253)
				return -1;
			put16(&w, 0);
			put16(&w, n + 5);
			put16(&w, n + 3);
			put8(&w, 0);
			put16(&w, n);
			put_bytes(&w, p->sni, n);
		}
		put16(&w, 10);			/* supported_groups */
		put16(&w, 2 * ngroups + 2);
		put16(&w, 2 * ngroups);
		for (size_t i = 0; i < ngroups; i++)
			put16(&w, groups[i]);
		put16(&w, 11);			/* ec_point_formats: uncompressed */
		put16(&w, 2);
		put8(&w, 1);
		put8(&w, 0);
		if (p->version >= CH_TLS12) {
			size_t n = sizeof(sig_algs) / sizeof(sig_algs[0]);
			put16(&w, 13);
			put16(&w, 2 * n + 2);
			put16(&w, 2 * n);
			for (size_t i = 0; i < n; i++)
				put16(&w, sig_algs[i]);
		}
		put16(&w, 0xff01);		/* renegotiation_info, empty */
		put16(&w, 1);
		put8(&w, 0);
		put16(&w, 23);			/* extended_master_secret */
		put16(&w, 0);
		put16(&w, 35);			/* session_ticket, empty */
		put16(&w, 0);
		put16(&w, 15);			/* heartbeat: peer_allowed_to_send */
		put16(&w, 1);
		put8(&w, 1);
		if (tls13) {
			put16(&w, 43);		/* supported_versions: 1.3 only */
			put16(&w, 3);
			put8(&w, 2);
			put16(&w, CH_TLS13);
			put16(&w, 45);		/* psk_key_exchange_modes: psk_dhe_ke */
			put16(&w, 2);
			put8(&w, 1);
			put8(&w, 1);
			put16(&w, 51);		/* key_share */
			if (p->key_share_x25519) {
				put16(&w, 2 + 4 + 32);
				put16(&w, 4 + 32);
				put16(&w, 0x001d);
				put16(&w, 32);
				put_random(&w, 32);
			} else {
				put16(&w, 2);
				put16(&w, 0);	/* no share: the server retries with its pick */
			}
		}
		/* padding (RFC 7685): hellos of 256-511 bytes hang some servers */
		size_t hello_len = w.len - 5;
		if (hello_len >= 256 && hello_len < 512) {
			size_t pad = 512 - hello_len;
			pad = pad >= 4 ? pad - 4 : 1;
			put16(&w, 21);
			put16(&w, pad);
			for (size_t i = 0; i < pad; i++)
				put8(&w, 0);
		}
		patch16(&w, ext_len, w.len - ext_len - 2);
	}
	if (w.overflow)
		return -1;
	patch16(&w, rec_len, w.len - 5);
	patch24(&w, hs_len, w.len - 9);
	return (long)w.len;
}

/* ---- reading ---------------------------------------------------------- */

typedef struct rcur {
	const uint8_t *p;
	size_t len, off;
	int bad;
} rcur_t;

static unsigned get8(rcur_t *c)
{
	if (c->off + 1 > c->len) {
		c->bad = 1;
		return 0;
	}
	return c->p[c->off++];
}

static unsigned get16(rcur_t *c)
{
	unsigned a = get8(c);
	return (a << 8) | get8(c);
}

static unsigned get24(rcur_t *c)
{
	unsigned a = get16(c);
	return (a << 8) | get8(c);
}

/* take - a sub-cursor over the next n bytes (marks bad when short). */
static rcur_t take(rcur_t *c, size_t n)
{
	rcur_t s = { c->p + c->off, n, 0, 0 };
	if (c->bad || c->off + n > c->len) {
		c->bad = 1;
		s.len = 0;
		s.p = c->p;
		return s;
	}
	c->off += n;
	return s;
}

static int malformed(ch_reply_t *r, const char *why)
{
	r->outcome = CH_MALFORMED;
	snprintf(r->why, sizeof(r->why), "%s", why);
	return 1;
}

static const uint8_t hrr_random[32] = {
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* server_hello - parse the body of a ServerHello into r; 0 or -1. */
static int server_hello(rcur_t *c, ch_reply_t *r)
{
	r->record_version = (int)get16(c);
	r->version = r->record_version;
	rcur_t rnd = take(c, 32);
	if (c->bad) {
		malformed(r, "ServerHello too short for its random");
		return -1;
	}
	r->hrr = memcmp(rnd.p, hrr_random, 32) == 0;
	if (memcmp(rnd.p + 24, "DOWNGRD\x01", 8) == 0)
		r->downgrade = 12;
	else if (memcmp(rnd.p + 24, "DOWNGRD\x00", 8) == 0)
		r->downgrade = 11;
	unsigned sid = get8(c);
	if (sid > 32) {
		malformed(r, "ServerHello session id longer than 32 bytes");
		return -1;
	}
	take(c, sid);
	r->suite = get16(c);
	r->compression = (int)get8(c);
	if (c->bad) {
		malformed(r, "ServerHello truncated");
		return -1;
	}
	if (c->off == c->len)
		return 0;			/* no extensions */
	unsigned elen = get16(c);
	rcur_t e = take(c, elen);
	if (c->bad || c->off != c->len) {
		malformed(r, "ServerHello extensions do not fit the message");
		return -1;
	}
	while (e.off < e.len) {
		unsigned type = get16(&e), n = get16(&e);
		rcur_t d = take(&e, n);
		if (e.bad) {
			malformed(r, "ServerHello extension runs past its list");
			return -1;
		}
		switch (type) {
		case 43:
			if (n != 2) {
				malformed(r, "supported_versions of a ServerHello is not 2 bytes");
				return -1;
			}
			r->version = (int)get16(&d);
			break;
		case 51:
			if (n < 2) {
				malformed(r, "key_share too short");
				return -1;
			}
			r->group = (int)get16(&d);
			break;
		case 0xff01:
			r->reneg_info = 1;
			break;
		case 23:
			r->ems = 1;
			break;
		case 35:
			r->ticket = 1;
			break;
		case 15:
			r->heartbeat = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* server_key_exchange - the ECDHE curve or DHE prime size, read by the
 * key exchange of the chosen suite (a 6144-bit prime's length looks like
 * an ECDHE curve type, so the bytes alone cannot tell). */
static void server_key_exchange(rcur_t *c, ch_reply_t *r)
{
	const tls_suite_t *s = tls_suite_find(r->suite);
	const uint8_t *p = c->p;
	size_t n = c->len;

	r->ske_seen = 1;
	if (s == NULL)
		return;
	if (strncmp(s->kx, "ECDH", 4) == 0) {
		/* curve_type named_curve(3), the curve id, the point */
		if (n >= 4 && p[0] == 3 && (size_t)p[3] + 4 <= n)
			r->group = (int)(((unsigned)p[1] << 8) | p[2]);
		return;
	}
	if (strncmp(s->kx, "DH", 2) != 0 || n < 2)
		return;
	size_t plen = ((size_t)p[0] << 8) | p[1];
	if (plen == 0 || plen + 2 > n)
		return;
	size_t lead = 0;
	while (lead < plen && p[2 + lead] == 0)
		lead++;
	if (lead == plen)
		return;
	int bits = (int)(plen - lead) * 8;
	for (uint8_t top = p[2 + lead]; !(top & 0x80); top = (uint8_t)(top << 1))
		bits--;
	r->dh_bits = bits;
	dh_prime_sha256(p + 2 + lead, plen - lead, r->dh_prime_sha256);
}

/* parse_ssl2 - an SSL 2.0 reply: SERVER-HELLO or ERROR. */
static int parse_ssl2(const uint8_t *buf, size_t len, ch_reply_t *r)
{
	if (len < 3)
		return 0;
	size_t body;
	size_t hdr;
	if (buf[0] & 0x80) {
		body = ((size_t)(buf[0] & 0x7f) << 8) | buf[1];
		hdr = 2;
	} else {
		body = ((size_t)(buf[0] & 0x3f) << 8) | buf[1];
		hdr = 3;
	}
	if (len < hdr + body)
		return 0;
	rcur_t c = { buf + hdr, body, 0, 0 };
	unsigned type = get8(&c);
	if (type == 0) {
		r->outcome = CH_SSL2_ERROR;
		r->alert_desc = (int)get16(&c);
		return 1;
	}
	if (type != 4)
		return malformed(r, "SSL 2.0 reply is neither SERVER-HELLO nor ERROR");
	get8(&c);			/* session id hit */
	get8(&c);			/* certificate type */
	r->version = (int)get16(&c);
	unsigned cert_len = get16(&c), specs_len = get16(&c), cid_len = get16(&c);
	take(&c, cert_len);
	rcur_t specs = take(&c, specs_len);
	take(&c, cid_len);
	if (c.bad || specs_len % 3 != 0)
		return malformed(r, "SSL 2.0 SERVER-HELLO lengths do not fit");
	while (specs.off < specs.len) {
		uint32_t s = get24(&specs);
		if (r->ssl2_nsuites < sizeof(r->ssl2_suites) / sizeof(r->ssl2_suites[0]))
			r->ssl2_suites[r->ssl2_nsuites++] = s;
	}
	r->record_version = r->version;
	r->outcome = CH_SERVER_HELLO;
	if (r->ssl2_nsuites)
		r->suite = r->ssl2_suites[0];
	return 1;
}

int ch_parse(const uint8_t *buf, size_t len, int sent_version, int want_ske, ch_reply_t *r)
{
	/* The handshake stream, reassembled from records (bounded). */
	static const size_t hs_cap = CH_REPLY_MAX;
	uint8_t hs[CH_REPLY_MAX];
	size_t hs_len = 0, off = 0, hs_off = 0;
	int have_sh = 0;

	memset(r, 0, sizeof(*r));
	r->group = -1;
	if (len == 0)
		return 0;
	if (sent_version == CH_SSL2 && (buf[0] & 0x80))
		return parse_ssl2(buf, len, r);
	for (;;) {
		if (len - off < 5)
			break;
		const uint8_t *h = buf + off;
		unsigned type = h[0], ver = ((unsigned)h[1] << 8) | h[2];
		size_t rlen = ((size_t)h[3] << 8) | h[4];
		if (type < 20 || type > 24 || (ver >> 8) != 3) {
			if (off == 0 && len >= 3 && h[0] >= '2' && h[0] <= '5' && h[1] >= '0' &&
			    h[1] <= '9')
				return malformed(r, "the server answered the hello with an SMTP reply");
			return malformed(r, "not a TLS record");
		}
		if (rlen == 0 && type != 23)
			return malformed(r, "empty TLS record");
		if (rlen > 16384 + 2048)
			return malformed(r, "TLS record longer than 18432 bytes");
		if (len - off - 5 < rlen)
			break;				/* record not complete yet */
		const uint8_t *data = h + 5;
		off += 5 + rlen;
		if (type == 21) {
			if (have_sh)
				break;			/* an alert after the hello: the hello counts */
			if (rlen != 2)
				return malformed(r, "alert record is not 2 bytes");
			r->outcome = CH_ALERT;
			r->alert_level = data[0];
			r->alert_desc = data[1];
			return 1;
		}
		if (type != 22) {
			if (have_sh)
				break;			/* CCS or encrypted data after the hello */
			return malformed(r, "a non-handshake record before the ServerHello");
		}
		if (hs_len + rlen > hs_cap)
			return malformed(r, "handshake messages longer than 64 KiB");
		memcpy(hs + hs_len, data, rlen);
		hs_len += rlen;
		/* walk the complete handshake messages */
		while (hs_len - hs_off >= 4) {
			unsigned mtype = hs[hs_off];
			size_t mlen = ((size_t)hs[hs_off + 1] << 16) | ((size_t)hs[hs_off + 2] << 8) |
				      hs[hs_off + 3];
			if (mlen > hs_cap)
				return malformed(r, "handshake message longer than 64 KiB");
			if (hs_len - hs_off - 4 < mlen)
				break;
			rcur_t m = { hs + hs_off + 4, mlen, 0, 0 };
			hs_off += 4 + mlen;
			if (!have_sh) {
				if (mtype != 2)
					return malformed(r, "first handshake message is not a ServerHello");
				if (server_hello(&m, r) != 0)
					return 1;
				have_sh = 1;
				r->outcome = CH_SERVER_HELLO;
				if (!want_ske || r->version >= CH_TLS13 || r->hrr || r->version < CH_SSL3)
					return 1;
				continue;
			}
			if (mtype == 12) {
				server_key_exchange(&m, r);
				return 1;
			}
			if (mtype == 14)
				return 1;		/* ServerHelloDone: no key exchange message */
		}
	}
	if (have_sh) {
		/* A complete ServerHello but the SKE not yet here. */
		r->outcome = CH_NONE;
		return 0;
	}
	return 0;
}

/* ---- the exchange ------------------------------------------------------ */

/* send_all - write len bytes on the non-blocking fd by deadline_ms:
 * CH_NONE when sent, else CH_IO (why says so) or CH_TIMEOUT. */
static ch_outcome_t send_all(int fd, const uint8_t *data, size_t len, long long deadline_ms,
			     char *why, size_t whylen)
{
	size_t sent = 0;
	while (sent < len) {
		ssize_t n = send(fd, data + sent, len - sent, MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(why, whylen, "send: %s", strerror(errno));
			return CH_IO;
		}
		long long left = deadline_ms - clock_ms();
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (left <= 0 || poll(&p, 1, (int)(left > 100000 ? 100000 : left)) == 0)
			return CH_TIMEOUT;
	}
	return CH_NONE;
}

/* recv_some - append what fd has to buf (cap bytes) within deadline_ms:
 * bytes read, 0 at EOF, -1 on a socket error or the deadline. */
static ssize_t recv_some(int fd, uint8_t *buf, size_t *len, size_t cap, long long deadline_ms)
{
	for (;;) {
		long long left = deadline_ms - clock_ms();
		if (left <= 0 || *len >= cap)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, (int)(left > 100000 ? 100000 : left));
		if (pr < 0 && errno != EINTR)
			return -1;
		if (pr <= 0)
			continue;
		ssize_t n = recv(fd, buf + *len, cap - *len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n > 0)
			*len += (size_t)n;
		return n;
	}
}

int ch_heartbleed(int fd, const uint8_t *hello, size_t hello_len, int version,
		  long long deadline_ms, long long wait_ms, char *why, size_t whylen)
{
	/* Heartbleed (CVE-2014-0160): a vulnerable server answers a heartbeat
	 * request whose payload_length exceeds its payload with that many bytes
	 * of its memory. The request goes out in the clear after the server's
	 * first flight, as a vulnerable OpenSSL accepts it then; it claims 16
	 * bytes and carries none. Only the type of the answer's record is
	 * looked at; its bytes are wiped, never parsed, logged or kept. */
	static const size_t cap = CH_REPLY_MAX;
	uint8_t *buf = malloc(cap), *hs = malloc(cap);
	size_t len = 0, off = 0, hs_len = 0, hs_off = 0;
	int rc = -1, done_flight = 0;
	if (buf == NULL || hs == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (send_all(fd, hello, hello_len, deadline_ms, why, whylen) != CH_NONE) {
		snprintf(why, whylen, "the hello could not be sent");
		goto out;
	}
	long long answer_by = deadline_ms;
	for (;;) {
		/* every complete record from off */
		while (len - off >= 5) {
			const uint8_t *h = buf + off;
			size_t rlen = ((size_t)h[3] << 8) | h[4];
			if ((h[1] != 3) || rlen > 16384 + 2048) {
				snprintf(why, whylen, "not a TLS record");
				goto out;
			}
			if (len - off - 5 < rlen)
				break;
			off += 5 + rlen;
			if (done_flight) {
				if (h[0] == 24) {
					rc = 1;		/* it answered with memory */
					goto out;
				}
				if (h[0] == 21) {
					rc = 0;		/* an alert: it refused the request */
					goto out;
				}
				continue;		/* the rest of a flight */
			}
			if (h[0] == 21) {
				snprintf(why, whylen, "the server refused the hello (alert)");
				goto out;
			}
			if (h[0] != 22 || hs_len + rlen > cap) {
				snprintf(why, whylen, "unexpected record type %u in the first flight", h[0]);
				goto out;
			}
			memcpy(hs + hs_len, h + 5, rlen);
			hs_len += rlen;
			while (!done_flight && hs_len - hs_off >= 4) {
				size_t mlen = ((size_t)hs[hs_off + 1] << 16) | ((size_t)hs[hs_off + 2] << 8) |
					      hs[hs_off + 3];
				if (hs_len - hs_off - 4 < mlen)
					break;
				unsigned mtype = hs[hs_off];
				hs_off += 4 + mlen;
				if (mtype == 14) {	/* ServerHelloDone */
					const uint8_t req[8] = { 24, 3, (uint8_t)(version & 0xff), 0, 3,
								 1, 0, 16 };
					if (send_all(fd, req, sizeof(req), deadline_ms, why, whylen) != CH_NONE) {
						snprintf(why, whylen, "the heartbeat request could not be sent");
						goto out;
					}
					done_flight = 1;
					long long w = clock_ms() + wait_ms;
					answer_by = w < deadline_ms ? w : deadline_ms;
				}
			}
		}
		if (len == cap) {
			memmove(buf, buf + off, len - off);	/* keep only what is unread */
			len -= off;
			off = 0;
		}
		ssize_t n = recv_some(fd, buf, &len, cap, answer_by);
		if (n > 0)
			continue;
		if (done_flight) {
			rc = 0;	/* silence or a close: the request was discarded (RFC 6520 4) */
			goto out;
		}
		snprintf(why, whylen, n == 0 ? "the server closed before ServerHelloDone"
					     : "no ServerHelloDone before the deadline");
		goto out;
	}
out:
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	if (hs) {
		explicit_bzero(hs, cap);
		free(hs);
	}
	return rc;
}

void ch_exchange(int fd, const uint8_t *hello, size_t hello_len, int sent_version,
		 int want_ske, long long deadline_ms, ch_reply_t *r)
{
	static const size_t cap = CH_REPLY_MAX + 32;
	uint8_t buf[CH_REPLY_MAX + 32];
	size_t len = 0;

	memset(r, 0, sizeof(*r));
	r->group = -1;
	r->outcome = send_all(fd, hello, hello_len, deadline_ms, r->why, sizeof(r->why));
	if (r->outcome != CH_NONE)
		return;
	for (;;) {
		long long left = deadline_ms - clock_ms();
		if (left <= 0) {
			ch_reply_t tmp;
			if (ch_parse(buf, len, sent_version, 0, &tmp) == 1 &&
			    tmp.outcome == CH_SERVER_HELLO) {
				*r = tmp;	/* the hello arrived; the SKE did not */
				return;
			}
			r->outcome = CH_TIMEOUT;
			return;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int pr = poll(&p, 1, (int)(left > 100000 ? 100000 : left));
		if (pr < 0 && errno != EINTR) {
			r->outcome = CH_IO;
			snprintf(r->why, sizeof(r->why), "poll: %s", strerror(errno));
			return;
		}
		if (pr <= 0)
			continue;
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			/* a reset right after a reply still leaves the reply to read */
			if (len > 0 && ch_parse(buf, len, sent_version, 0, r) == 1)
				return;
			r->outcome = CH_IO;
			snprintf(r->why, sizeof(r->why), "recv: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			if (ch_parse(buf, len, sent_version, 0, r) == 1)
				return;
			r->outcome = CH_EOF;
			return;
		}
		len += (size_t)n;
		if (ch_parse(buf, len, sent_version, want_ske, r) == 1)
			return;
		if (len >= cap) {
			if (ch_parse(buf, len, sent_version, 0, r) != 1)
				malformed(r, "no complete answer in 64 KiB");
			return;
		}
	}
}

/* ---- names ------------------------------------------------------------- */

const char *ch_outcome_name(ch_outcome_t o)
{
	static const char *const names[] = {
		[CH_NONE] = "none", [CH_SERVER_HELLO] = "server_hello", [CH_ALERT] = "alert",
		[CH_SSL2_ERROR] = "ssl2_error", [CH_EOF] = "eof", [CH_TIMEOUT] = "timeout",
		[CH_MALFORMED] = "malformed", [CH_IO] = "io",
	};
	return (unsigned)o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

const char *ch_version_name(int v)
{
	switch (v) {
	case CH_SSL2: return "SSLv2";
	case CH_SSL3: return "SSLv3";
	case CH_TLS10: return "TLSv1.0";
	case CH_TLS11: return "TLSv1.1";
	case CH_TLS12: return "TLSv1.2";
	case CH_TLS13: return "TLSv1.3";
	default: return "unknown";
	}
}

const char *ch_group_name(int g)
{
	switch (g) {
	case 0x0017: return "secp256r1";
	case 0x0018: return "secp384r1";
	case 0x0019: return "secp521r1";
	case 0x001d: return "x25519";
	case 0x001e: return "x448";
	case 0x0100: return "ffdhe2048";
	case 0x0101: return "ffdhe3072";
	case 0x0102: return "ffdhe4096";
	case 0x0103: return "ffdhe6144";
	case 0x0104: return "ffdhe8192";
	case 0x0016: return "secp256k1";
	case 0x0015: return "secp224r1";
	case 0x0014: return "secp224k1";
	case 0x0013: return "secp192r1";
	case 0x0012: return "secp192k1";
	case 0x0011: return "secp160r2";
	case 0x0010: return "secp160r1";
	case 0x000f: return "secp160k1";
	case 0x000e: return "sect571r1";
	case 0x000d: return "sect571k1";
	case 0x000c: return "sect409r1";
	case 0x000b: return "sect409k1";
	case 0x000a: return "sect283r1";
	case 0x0009: return "sect283k1";
	case 0x0008: return "sect239k1";
	case 0x0007: return "sect233r1";
	case 0x0006: return "sect233k1";
	case 0x0005: return "sect193r2";
	case 0x0004: return "sect193r1";
	case 0x0003: return "sect163r2";
	case 0x0002: return "sect163r1";
	case 0x0001: return "sect163k1";
	case 0x001a: return "brainpoolP256r1";
	case 0x001b: return "brainpoolP384r1";
	case 0x001c: return "brainpoolP512r1";
	default: return NULL;
	}
}

const char *ch_alert_name(int d)
{
	switch (d) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 22: return "record_overflow";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 47: return "illegal_parameter";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 86: return "inappropriate_fallback";
	case 109: return "missing_extension";
	case 110: return "unsupported_extension";
	case 112: return "unrecognized_name";
	default: return "other";
	}
}
