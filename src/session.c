/*
 * session.c: see session.h.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "session.h"

static bool
b64url_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int
session_new(char *tok, unsigned char hash[32])
{
	unsigned char	 raw[32];

	if (rand_bytes(raw, sizeof(raw)) != 0)
		return -1;
	b64url_encode(raw, sizeof(raw), tok);
	wipe(raw, sizeof(raw));
	SHA256((const unsigned char *)tok, SESSION_TOKEN_LEN, hash);
	return 0;
}

int
session_hash(const char *tok, unsigned char hash[32])
{
	size_t	 i;

	for (i = 0; tok[i] != '\0'; i++)
		if (i >= SESSION_TOKEN_LEN || !b64url_char((unsigned char)tok[i]))
			return -1;
	if (i != SESSION_TOKEN_LEN)
		return -1;
	SHA256((const unsigned char *)tok, SESSION_TOKEN_LEN, hash);
	return 0;
}

void
session_csrf(const char *tok, char *csrf)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	struct buf	 in = { 0 };

	buf_adds(&in, "csrf\n");
	buf_adds(&in, tok);
	SHA256((const unsigned char *)in.p, in.len, md);
	buf_free(&in);
	b64url_encode(md, sizeof(md), csrf);
}

bool
session_csrf_ok(const char *tok, const char *presented)
{
	char	 want[CSRF_TOKEN_LEN + 1];

	if (presented == NULL || strlen(presented) != CSRF_TOKEN_LEN)
		return false;
	session_csrf(tok, want);
	return CRYPTO_memcmp(want, presented, CSRF_TOKEN_LEN) == 0;
}

int
cookie_get(const char *header, const char *name, char *out, size_t outlen)
{
	const char	*p = header, *v, *end;
	size_t		 n = strlen(name), len;
	int		 found = 0;

	if (header == NULL)
		return -1;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 &&
		    p[n] == '=') {
			v = p + n + 1;
			len = (size_t)(end - v);
			while (len > 0 && (v[len - 1] == ' ' ||
			    v[len - 1] == '\t'))
				len--;
			/* Two cookies of one name: trust neither. */
			if (found++ || len >= outlen)
				return -1;
			memcpy(out, v, len);
			out[len] = '\0';
		}
		p = end;
	}
	return found == 1 ? 0 : -1;
}

void
session_cookie_set(struct buf *hdr, const char *tok, int64_t max_age)
{
	buf_printf(hdr, "Set-Cookie: %s=%s; Path=/; Max-Age=%lld; Secure; "
	    "HttpOnly; SameSite=Lax\r\n", SESSION_COOKIE, tok,
	    (long long)max_age);
}

void
session_cookie_clear(struct buf *hdr)
{
	buf_printf(hdr, "Set-Cookie: %s=; Path=/; Max-Age=0; Secure; "
	    "HttpOnly; SameSite=Lax\r\n", SESSION_COOKIE);
}

void
session_pre_cookie_set(struct buf *hdr, const char *tok)
{
	buf_printf(hdr, "Set-Cookie: %s=%s; Path=/; Max-Age=86400; Secure; "
	    "HttpOnly; SameSite=Lax\r\n", PRE_COOKIE, tok);
}

void
session_pre_cookie_clear(struct buf *hdr)
{
	buf_printf(hdr, "Set-Cookie: %s=; Path=/; Max-Age=0; Secure; "
	    "HttpOnly; SameSite=Lax\r\n", PRE_COOKIE);
}

bool
session_alive(int64_t created, int64_t seen, int64_t now, int64_t idle,
    int64_t absolute)
{
	return now >= created && now - seen < idle && now - created < absolute;
}
