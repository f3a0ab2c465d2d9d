/*
 * audit.c: see audit.h.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "audit.h"
#include "ingest.h"
#include "util.h"

/* Is the whole of s one email address? */
static bool
is_address(const char *s)
{
	const char	*at = strchr(s, '@');
	size_t		 i;

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    strchr(at + 1, '.') == NULL || strlen(s) > 320)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '<' || s[i] == '>' ||
		    s[i] == '"' || s[i] == ',')
			return false;
	return true;
}

/* The replacement of a string value; NULL to keep it as it is. */
static json_t *
scrub_string(const char *s, char prefix[EMAIL_PREFIX_MAX])
{
	char		 hex[EMAIL_HASH_HEX];
	struct buf	 b = { 0 };
	json_t		*v;

	prefix[0] = '\0';
	if (is_address(s)) {
		email_hash(s, hex, prefix);
		b.p = xasprintf("sha256:%s", hex);
		v = json_string(b.p);
		free(b.p);
		return v;
	}
	if (strchr(s, '@') == NULL && strstr(s, "sk-") == NULL)
		return NULL;
	redact_text(s, &b);
	v = strcmp(b.p, s) == 0 ? NULL : json_string(b.p);
	buf_free(&b);
	return v;
}

void
audit_scrub(json_t *v)
{
	char		 prefix[EMAIL_PREFIX_MAX], key[160];
	const char	*k;
	json_t		*x, *rep;
	size_t		 i;
	void		*tmp;

	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, x) {
			if (json_is_string(x)) {
				rep = scrub_string(json_string_value(x), prefix);
				if (rep == NULL)
					continue;
				/* Where an address sat under a key, keep whose. */
				if (prefix[0] != '\0' && strlen(k) < 100) {
					snprintf(key, sizeof(key), "%s_prefix", k);
					json_object_set_new(v, key,
					    json_string(prefix));
				}
				json_object_set_new(v, k, rep);
			} else
				audit_scrub(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x) {
			if (json_is_string(x)) {
				rep = scrub_string(json_string_value(x), prefix);
				if (rep != NULL)
					json_array_set_new(v, i, rep);
			} else
				audit_scrub(x);
		}
	}
}

/* -- canonical bytes ------------------------------------------------ */

struct member {
	const char	*key;
	size_t		 len;
	json_t		*v;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member	*x = a, *y = b;
	int			 c = memcmp(x->key, y->key, x->len < y->len ?
	    x->len : y->len);

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Decodes one UTF-8 sequence at s; its length, or 0 if malformed. */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t	 len, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* The two-character escape of cp, or NULL. */
static const char *
short_escape(uint32_t cp)
{
	switch (cp) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	}
	return NULL;
}

/* \uXXXX, upper-case hex as jansson writes it. */
static void
put_u(struct buf *b, uint32_t u)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			 e[6] = { '\\', 'u', hex[(u >> 12) & 15],
	    hex[(u >> 8) & 15], hex[(u >> 4) & 15], hex[u & 15] };

	buf_add(b, e, sizeof(e));
}

/* A string, ASCII only: escapes as jansson's JSON_ENSURE_ASCII. */
static int
canon_string(const char *str, size_t n, struct buf *b)
{
	const unsigned char	*s = (const unsigned char *)str;
	const char		*esc;
	size_t			 i = 0, run, len;
	uint32_t		 cp;

	buf_addc(b, '"');
	while (i < n) {
		/* Plain ASCII goes out in runs. */
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i)
			buf_add(b, s + i, run - i);
		if ((i = run) >= n)
			break;
		if ((len = utf8_next(s + i, n - i, &cp)) == 0)
			return -1;
		i += len;
		if ((esc = short_escape(cp)) != NULL)
			buf_add(b, esc, 2);
		else if (cp >= 0x10000) {
			/* Beyond the BMP: a UTF-16 surrogate pair. */
			put_u(b, 0xd800 | ((cp - 0x10000) >> 10));
			put_u(b, 0xdc00 | ((cp - 0x10000) & 0x3ff));
		} else
			put_u(b, cp);
	}
	buf_addc(b, '"');
	return 0;
}

int
audit_canon(json_t *v, struct buf *b)
{
	struct member	 small[32], *m;
	json_t		*x;
	void		*it;
	char		 num[64];
	size_t		 n, i;
	int		 rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		m = n <= 32 ? small : xcalloc(n, sizeof(*m));
		i = 0;
		for (it = json_object_iter(v); it != NULL && i < n;
		    it = json_object_iter_next(v, it), i++) {
			m[i].key = json_object_iter_key(it);
			m[i].len = json_object_iter_key_len(it);
			m[i].v = json_object_iter_value(it);
		}
		qsort(m, i, sizeof(*m), member_cmp);
		buf_addc(b, '{');
		for (n = i, i = 0; i < n && rc == 0; i++) {
			if (i > 0)
				buf_addc(b, ',');
			if ((rc = canon_string(m[i].key, m[i].len, b)) == 0) {
				buf_addc(b, ':');
				rc = audit_canon(m[i].v, b);
			}
		}
		buf_addc(b, '}');
		if (m != small)
			free(m);
		return rc;
	case JSON_ARRAY:
		buf_addc(b, '[');
		json_array_foreach(v, i, x) {
			if (i > 0)
				buf_addc(b, ',');
			if (audit_canon(x, b) != 0)
				return -1;
		}
		buf_addc(b, ']');
		return 0;
	case JSON_STRING:
		return canon_string(json_string_value(v), json_string_length(v),
		    b);
	case JSON_INTEGER:
		buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		/* Rare in the log: jansson's own format, to the byte. */
		n = json_dumpb(v, num, sizeof(num), JSON_ENCODE_ANY);
		if (n == 0 || n >= sizeof(num))
			return -1;
		buf_add(b, num, n);
		return 0;
	case JSON_TRUE:
		buf_adds(b, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(b, "false");
		return 0;
	case JSON_NULL:
		buf_adds(b, "null");
		return 0;
	}
	return -1;
}

/* -- the row --------------------------------------------------------- */

/*
 * A row's strings are gathered in one buffer as offsets (+1; 0 is NULL)
 * and moved into one allocation at the end: a row is one malloc and one
 * free, which matters at a million entries.
 */
static size_t
put(struct buf *s, const char *v)
{
	size_t	 off = s->len;

	if (v == NULL)
		return 0;
	buf_add(s, v, strlen(v) + 1);
	return off + 1;
}

static size_t
put_id(struct buf *s, json_t *v)
{
	const char	*id = json_string_value(v);

	return ingest_id_ok(id) ? put(s, id) : 0;
}

struct offs {
	size_t	 id, type, actor_type, actor_id, actor_key_id, project_id,
		 target_id;
};

/* The actor: session or API key, the user or service account behind it. */
static void
audit_actor(json_t *o, struct audit_row *r, struct buf *s, struct offs *f)
{
	json_t		*actor = json_object_get(o, "actor"), *who, *user;
	const char	*type = json_string_value(json_object_get(actor, "type"));
	const char	*email;

	if (type == NULL || (strcmp(type, "session") != 0 &&
	    strcmp(type, "api_key") != 0))
		return;
	f->actor_type = put(s, type);
	who = json_object_get(actor, type);
	user = json_object_get(who, "user");
	if (user != NULL) {
		f->actor_id = put_id(s, json_object_get(user, "id"));
		email = json_string_value(json_object_get(user, "email"));
		if (email != NULL)
			email_hash(email, r->actor_email_sha256,
			    r->actor_email_prefix);
	} else
		f->actor_id = put_id(s, json_object_get(json_object_get(who,
		    "service_account"), "id"));
	if (strcmp(type, "api_key") == 0)
		f->actor_key_id = put_id(s, json_object_get(who, "id"));
}

static char *
at(char *mem, size_t off)
{
	return off == 0 ? NULL : mem + off - 1;
}

int
audit_prepare(json_t *o, struct audit_row *r, char *err, size_t n)
{
	struct buf	 s = { 0 }, body = { 0 };
	struct offs	 f = { 0 };
	const char	*type;
	json_t		*t;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || (f.id = put_id(&s, json_object_get(o,
	    "id"))) == 0) {
		snprintf(err, n, "audit log entry without a usable id");
		goto fail;
	}
	type = json_string_value(json_object_get(o, "type"));
	t = json_object_get(o, "effective_at");
	if (type == NULL || *type == '\0' || strlen(type) > 128 ||
	    !json_is_integer(t) || json_integer_value(t) <= 0) {
		snprintf(err, n, "audit log entry %s has no type or time",
		    s.p);
		goto fail;
	}
	f.type = put(&s, type);
	r->effective_at = json_integer_value(t);
	/* Identifiers first: the actor's address is hashed below. */
	audit_actor(o, r, &s, &f);
	f.project_id = put_id(&s, json_object_get(json_object_get(o,
	    "project"), "id"));
	f.target_id = put_id(&s, json_object_get(json_object_get(o, type),
	    "id"));
	audit_scrub(o);
	if (audit_canon(o, &body) != 0 || body.len > AUDIT_BODY_MAX) {
		snprintf(err, n, "audit log entry %s is %s", s.p,
		    body.len > AUDIT_BODY_MAX ? "too large to keep" :
		    "not valid UTF-8");
		goto fail;
	}
	r->mem = xmalloc(s.len + body.len + 1);
	memcpy(r->mem, s.p, s.len);
	memcpy(r->mem + s.len, body.p, body.len);
	r->mem[s.len + body.len] = '\0';
	r->id = at(r->mem, f.id);
	r->type = at(r->mem, f.type);
	r->actor_type = at(r->mem, f.actor_type);
	r->actor_id = at(r->mem, f.actor_id);
	r->actor_key_id = at(r->mem, f.actor_key_id);
	r->project_id = at(r->mem, f.project_id);
	r->target_id = at(r->mem, f.target_id);
	r->body = r->mem + s.len;
	r->body_len = body.len;
	free(s.p);
	free(body.p);
	return 0;
fail:
	free(s.p);
	free(body.p);
	memset(r, 0, sizeof(*r));
	return -1;
}

void
audit_row_free(struct audit_row *r)
{
	free(r->mem);
	memset(r, 0, sizeof(*r));
}

void
audit_hash(const unsigned char prev[AUDIT_HASH_LEN], const char *body,
    size_t len, unsigned char out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned int	 n = AUDIT_HASH_LEN;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN);
	EVP_DigestUpdate(ctx, body, len);
	EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
}
