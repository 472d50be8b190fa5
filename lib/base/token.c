/*
 * token.c - report tokens from OpenSSL's CSPRNG, base64url (see token.h).
 */
#include <string.h>
#include <openssl/rand.h>

#include "base/token.h"

static const char token_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int token_new(char out[TOKEN_BUFSIZE])
{
	unsigned char raw[TOKEN_BYTES];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	/* 24 bytes = 8 groups of 3 bytes = 32 characters, no padding. */
	size_t o = 0;
	for (size_t i = 0; i < TOKEN_BYTES; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		out[o++] = token_alphabet[(v >> 18) & 63];
		out[o++] = token_alphabet[(v >> 12) & 63];
		out[o++] = token_alphabet[(v >> 6) & 63];
		out[o++] = token_alphabet[v & 63];
	}
	out[o] = '\0';
	return 0;
}

int token_valid(const char *s)
{
	if (s == NULL || strlen(s) != TOKEN_CHARS)
		return 0;
	return strspn(s, token_alphabet) == TOKEN_CHARS;
}
