/*
 * session.h: dashboard sessions and CSRF tokens, the pure parts.
 *
 * A session token is 256 random bits (base64url, 43 characters); the
 * browser keeps it in the cookie "__Host-orgaudit" (Secure, HttpOnly,
 * SameSite=Lax, Path=/), the database keeps only its SHA-256.  The CSRF
 * token of a session is derived from the session token, so it is bound to
 * the session and needs no storage: base64url(SHA-256("csrf\n" || token)).
 */
#ifndef ORGAUDIT_SESSION_H
#define ORGAUDIT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SESSION_COOKIE		"__Host-orgaudit"
/* Before signing in: the token whose CSRF token the sign-in form holds. */
#define PRE_COOKIE		"__Host-orgaudit-pre"
#define SESSION_TOKEN_LEN	43
#define CSRF_TOKEN_LEN		43

/* A new token (SESSION_TOKEN_LEN + 1 bytes) and its hash.  0 or -1. */
int	 session_new(char *tok, unsigned char hash[32]);
/* Checks a presented token's shape and hashes it; -1 if malformed. */
int	 session_hash(const char *tok, unsigned char hash[32]);
/* The session's CSRF token (CSRF_TOKEN_LEN + 1 bytes). */
void	 session_csrf(const char *tok, char *csrf);
/* Does presented equal the session's CSRF token?  Constant time. */
bool	 session_csrf_ok(const char *tok, const char *presented);

/*
 * Finds cookie name in a Cookie header ("a=1; b=2") and copies its value
 * into out.  0, or -1 when absent, repeated, or longer than outlen - 1.
 */
int	 cookie_get(const char *header, const char *name, char *out,
	    size_t outlen);
/* The Set-Cookie line (with CRLF) that sets tok for max_age seconds. */
void	 session_cookie_set(struct buf *hdr, const char *tok, int64_t max_age);
/* The Set-Cookie line that removes the cookie. */
void	 session_cookie_clear(struct buf *hdr);
/* The pre-session cookie (a day), and its removal. */
void	 session_pre_cookie_set(struct buf *hdr, const char *tok);
void	 session_pre_cookie_clear(struct buf *hdr);

/*
 * Is a session that started at created and was last seen at seen still
 * alive at now, given the idle and absolute lifetimes (seconds)?
 */
bool	 session_alive(int64_t created, int64_t seen, int64_t now,
	    int64_t idle, int64_t absolute);

#endif
