/*
 * redact.c: see redact.h.  Everything here is pure and unit-tested.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "redact.h"

static const struct {
	const char	*name;
	const char	*prefix;	/* as shown, with trailing dash */
	const char	*match;		/* as matched, dash optional */
} types[KEY__MAX] = {
	[KEY_UNKNOWN] = { NULL, "", "" },
	[KEY_ADMIN] = { "admin", "sk-admin-", "sk-admin" },
	[KEY_PROJECT] = { "project", "sk-proj-", "sk-proj" },
	[KEY_SVCACCT] = { "service_account", "sk-svcacct-", "sk-svcacct" },
	[KEY_USER] = { "user", "sk-", "sk-" },
};

const char *
key_type_name(enum key_type t)
{
	return t > KEY_UNKNOWN && t < KEY__MAX ? types[t].name : NULL;
}

enum key_type
key_type_from_name(const char *name)
{
	int	 t;

	for (t = KEY_UNKNOWN + 1; t < KEY__MAX; t++)
		if (strcmp(types[t].name, name) == 0)
			return (enum key_type)t;
	return KEY_UNKNOWN;
}

const char *
key_type_prefix(enum key_type t)
{
	return t > KEY_UNKNOWN && t < KEY__MAX ? types[t].prefix : "";
}

/* The specific prefixes must be followed by '-', '.', '*' or the end. */
static int
prefix_is(const char *s, const char *match)
{
	size_t	 n = strlen(match);

	if (strncmp(s, match, n) != 0)
		return 0;
	return s[n] == '\0' || s[n] == '-' || s[n] == '.' || s[n] == '*' ||
	    s[n] == '_';
}

enum key_type
key_type_of(const char *s)
{
	if (s == NULL)
		return KEY_UNKNOWN;
	if (prefix_is(s, "sk-admin"))
		return KEY_ADMIN;
	if (prefix_is(s, "sk-proj"))
		return KEY_PROJECT;
	if (prefix_is(s, "sk-svcacct"))
		return KEY_SVCACCT;
	if (strncmp(s, "sk-", 3) == 0)
		return KEY_USER;
	return KEY_UNKNOWN;
}

enum key_type
key_classify(const char *redacted_value, const char *owner_type)
{
	enum key_type	 t = key_type_of(redacted_value);

	if (t == KEY_PROJECT || t == KEY_SVCACCT || t == KEY_ADMIN)
		return t;
	if (owner_type != NULL && strcmp(owner_type, "service_account") == 0)
		return KEY_SVCACCT;
	return KEY_USER;
}

static int
key_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

void
key_redact(const char *s, enum key_type t, char out[KEY_REDACTED_MAX])
{
	enum key_type	 have = key_type_of(s);
	size_t		 n = s == NULL ? 0 : strlen(s), k = 0, p = 0;

	/* The prefix the value really carries, dash included if present. */
	if (have != KEY_UNKNOWN)
		p = strncmp(s, types[have].prefix, strlen(types[have].prefix))
		    == 0 ? strlen(types[have].prefix) :
		    strlen(types[have].match);
	/* Up to 4 trailing key characters, never from the prefix itself. */
	while (k < 4 && k + p < n && key_char((unsigned char)s[n - 1 - k]))
		k++;
	strcpy(out, key_type_prefix(t));
	strcat(out, "\xe2\x80\xa6");
	if (k > 0)
		strncat(out, s + n - k, k);
}

const char *
key_admin_refusal(const char *s)
{
	size_t	 i;

	switch (key_type_of(s)) {
	case KEY_ADMIN:
		break;
	case KEY_PROJECT:
		return "this is a project API key (sk-proj-…); orgaudit needs "
		    "an admin key (sk-admin-…), which an Organization Owner "
		    "creates at https://platform.openai.com/settings/"
		    "organization/admin-keys";
	case KEY_SVCACCT:
		return "this is a service account key (sk-svcacct-…); orgaudit "
		    "needs an admin key (sk-admin-…), which an Organization "
		    "Owner creates at https://platform.openai.com/settings/"
		    "organization/admin-keys";
	case KEY_USER:
		return "this is a legacy user API key (sk-…); orgaudit needs "
		    "an admin key (sk-admin-…), which an Organization Owner "
		    "creates at https://platform.openai.com/settings/"
		    "organization/admin-keys";
	default:
		return "this is not an OpenAI API key; orgaudit needs an admin "
		    "key, which starts with sk-admin-";
	}
	if (strlen(s) < 20 || strlen(s) > 512)
		return "this admin key has an implausible length; paste the "
		    "whole key exactly as OpenAI showed it";
	for (i = 0; s[i] != '\0'; i++)
		if (!key_char((unsigned char)s[i]))
			return "this admin key contains characters no OpenAI "
			    "key has; paste the key alone, without quotes or "
			    "spaces";
	return NULL;
}

int
email_hash(const char *email, char hex[EMAIL_HASH_HEX],
    char prefix[EMAIL_PREFIX_MAX])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 norm[512];
	size_t		 len, i, o, chars;

	hex[0] = prefix[0] = '\0';
	if (email == NULL)
		return -1;
	while (isspace((unsigned char)*email))
		email++;
	len = strlen(email);
	while (len > 0 && isspace((unsigned char)email[len - 1]))
		len--;
	if (len == 0)
		return -1;
	if (len >= sizeof(norm))
		len = sizeof(norm) - 1;
	for (i = 0; i < len; i++)
		norm[i] = (char)tolower((unsigned char)email[i]);
	norm[len] = '\0';
	sha256_2(norm, len, NULL, 0, md);
	hex_encode(md, sizeof(md), hex);
	/*
	 * The first four characters, a UTF-8 sequence counting as one, and
	 * never past the '@': the prefix shows whose address, not where.
	 */
	for (i = o = chars = 0; i < len && chars < 4 && norm[i] != '@';
	    chars++) {
		size_t	 seq = 1;

		while (i + seq < len && ((unsigned char)norm[i + seq] & 0xc0) ==
		    0x80 && seq < 4)
			seq++;
		if (o + seq > EMAIL_PREFIX_MAX - 1)
			break;
		memcpy(prefix + o, norm + i, seq);
		o += seq;
		i += seq;
	}
	prefix[o] = '\0';
	wipe(norm, sizeof(norm));
	return 0;
}

static int
email_local_char(int c)
{
	return isalnum(c) || (c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c));
}

static int
email_domain_char(int c)
{
	return isalnum(c) || c == '.' || c == '-';
}

/* Replaces every email address in in by "[email <8 hex of its hash>]". */
static void
scrub_emails(const char *in, struct buf *out)
{
	char	 hex[EMAIL_HASH_HEX], pre[EMAIL_PREFIX_MAX], *addr;
	size_t	 i = 0, n = strlen(in), s, e, copied = 0;

	for (i = 0; i < n; i++) {
		if (in[i] != '@' || i == 0 ||
		    !email_local_char((unsigned char)in[i - 1]) ||
		    !email_domain_char((unsigned char)in[i + 1]))
			continue;
		for (s = i; s > copied &&
		    email_local_char((unsigned char)in[s - 1]); s--)
			;
		for (e = i + 1; e < n && email_domain_char((unsigned char)in[e]);
		    e++)
			;
		while (e > i + 1 && in[e - 1] == '.')
			e--;	/* a sentence's full stop */
		buf_add(out, in + copied, s - copied);
		addr = xstrndup(in + s, e - s);
		email_hash(addr, hex, pre);
		wipe(addr, e - s);
		free(addr);
		buf_printf(out, "[email %.8s]", hex);
		copied = e;
		i = e - 1;
	}
	buf_add(out, in + copied, n - copied);
}

/* Replaces every key-like token ("sk-…") by its redacted form. */
static void
scrub_keys(const char *in, struct buf *out)
{
	char	 red[KEY_REDACTED_MAX], *tok;
	size_t	 i = 0, n = strlen(in), e;

	while (i < n) {
		if (strncmp(in + i, "sk-", 3) != 0 ||
		    (i > 0 && key_char((unsigned char)in[i - 1]))) {
			buf_addc(out, in[i++]);
			continue;
		}
		for (e = i; e < n && (key_char((unsigned char)in[e]) ||
		    in[e] == '*' || in[e] == '.'); e++)
			;
		while (e > i + 3 && in[e - 1] == '.')
			e--;	/* a sentence's full stop */
		tok = xstrndup(in + i, e - i);
		key_redact(tok, key_type_of(tok), red);
		wipe(tok, e - i);
		free(tok);
		buf_adds(out, red);
		i = e;
	}
}

void
redact_text(const char *in, struct buf *out)
{
	struct buf	 mid = { 0 };

	/* Addresses first: a key run into an address goes with it. */
	scrub_emails(in, &mid);
	scrub_keys(mid.p != NULL ? mid.p : "", out);
	buf_free(&mid);
	if (out->p == NULL)
		buf_add(out, "", 0);
}

void
redact_text_to(const char *in, char *out, size_t outlen)
{
	struct buf	 b = { 0 };
	size_t		 n;

	if (outlen == 0)
		return;
	redact_text(in, &b);
	n = b.len < outlen - 1 ? b.len : outlen - 1;
	/* Never cut a character in half. */
	while (n > 0 && n < b.len && ((unsigned char)b.p[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, b.p, n);
	out[n] = '\0';
	buf_free(&b);
}
