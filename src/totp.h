/*
 * totp.h: the second factor: time-based one-time passwords (RFC 6238:
 * HMAC-SHA1, 30-second steps, 6 digits), their secrets in base32 (RFC
 * 4648) as authenticator apps take them, and recovery codes.  Pure code.
 */
#ifndef ORGAUDIT_TOTP_H
#define ORGAUDIT_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_LEN	20		/* 160 bits, as RFC 4226 advises */
#define TOTP_STEP	30
#define TOTP_B32_MAX	64		/* base32 of a secret, with NUL */
#define TOTP_RECOVERY	10		/* recovery codes per account */
#define TOTP_RECOVERY_LEN 20		/* "xxxx-xxxx-xxxx-xxxx" + NUL */

/* The code of secret for time step counter (RFC 4226, 6 digits). */
uint32_t	 totp_code(const unsigned char *secret, size_t len,
		    uint64_t counter);
/*
 * Checks a typed code ("123456", spaces allowed) against the steps
 * around now (one before, this one, one after), refusing any step at or
 * before last_step (a code is used once).  Returns the step it matched,
 * or -1.
 */
int64_t		 totp_check(const unsigned char *secret, size_t len,
		    const char *typed, int64_t now, int64_t last_step);
/* Base32 (upper case, no padding) of n bytes into out. */
void		 totp_b32(const unsigned char *p, size_t n, char *out,
		    size_t outlen);
/* A new secret.  0 or -1. */
int		 totp_secret_new(unsigned char out[TOTP_SECRET_LEN]);
/* A new recovery code: 16 characters of [a-z2-9] in groups of 4. */
int		 totp_recovery_new(char out[TOTP_RECOVERY_LEN]);
/* A typed recovery code in its stored form (lower case, no dashes). */
void		 totp_recovery_norm(const char *typed, char *out, size_t n);

#endif
