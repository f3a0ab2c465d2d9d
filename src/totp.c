/*
 * totp.c: see totp.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "totp.h"
#include "util.h"

uint32_t
totp_code(const unsigned char *secret, size_t len, uint64_t counter)
{
	unsigned char	 msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	uint32_t	 bin;
	int		 i, off;

	for (i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), secret, (int)len, msg, sizeof(msg), md, &n) ==
	    NULL || n < 20)
		return UINT32_MAX;
	/* Dynamic truncation (RFC 4226, 5.3). */
	off = md[n - 1] & 0x0f;
	bin = ((uint32_t)(md[off] & 0x7f) << 24) |
	    ((uint32_t)md[off + 1] << 16) | ((uint32_t)md[off + 2] << 8) |
	    (uint32_t)md[off + 3];
	wipe(md, sizeof(md));
	return bin % 1000000;
}

int64_t
totp_check(const unsigned char *secret, size_t len, const char *typed,
    int64_t now, int64_t last_step)
{
	uint32_t	 want = 0;
	int64_t		 step, s;
	int		 digits = 0;

	for (; *typed != '\0'; typed++) {
		if (*typed == ' ')
			continue;
		if (!isdigit((unsigned char)*typed) || ++digits > 6)
			return -1;
		want = want * 10 + (uint32_t)(*typed - '0');
	}
	if (digits != 6 || now < TOTP_STEP)
		return -1;
	step = now / TOTP_STEP;
	for (s = step - 1; s <= step + 1; s++)
		if (s > last_step && totp_code(secret, len, (uint64_t)s) == want)
			return s;
	return -1;
}

void
totp_b32(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	static const char	 abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint32_t		 acc = 0;
	size_t			 i, o = 0;
	int			 bits = 0;

	for (i = 0; i < n && o + 1 < outlen; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5 && o + 1 < outlen) {
			out[o++] = abc[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0 && o + 1 < outlen)
		out[o++] = abc[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int
totp_secret_new(unsigned char out[TOTP_SECRET_LEN])
{
	return rand_bytes(out, TOTP_SECRET_LEN);
}

int
totp_recovery_new(char out[TOTP_RECOVERY_LEN])
{
	static const char	 abc[] = "abcdefghjkmnpqrstuvwxyz23456789";
	unsigned char		 r[16];
	size_t			 i, o = 0;

	if (rand_bytes(r, sizeof(r)) != 0)
		return -1;
	for (i = 0; i < sizeof(r); i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		/* 256 is not a multiple of 31: a bias of under 1%, fine for
		 * 80 bits of code. */
		out[o++] = abc[r[i] % (sizeof(abc) - 1)];
	}
	out[o] = '\0';
	wipe(r, sizeof(r));
	return 0;
}

void
totp_recovery_norm(const char *typed, char *out, size_t n)
{
	size_t	 o = 0;

	for (; *typed != '\0' && o + 1 < n; typed++)
		if (isalnum((unsigned char)*typed))
			out[o++] = (char)tolower((unsigned char)*typed);
	out[o] = '\0';
}
