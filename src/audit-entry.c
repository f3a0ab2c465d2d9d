/*
 * audit-entry.c: see audit-entry.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit-entry.h"
#include "ingest.h"
#include "util.h"

/* Is the whole of s[0..n) one email address? */
static bool
is_address(const char *s, size_t n)
{
	const char	*at = memchr(s, '@', n), *end = s + n;
	size_t		 i;

	if (at == NULL || at == s || n > 320 ||
	    memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL ||
	    memchr(at + 1, '.', (size_t)(end - at - 1)) == NULL)
		return false;
	for (i = 0; i < n; i++)
		if (isspace((unsigned char)s[i]) || s[i] == '<' || s[i] == '>' ||
		    s[i] == '"' || s[i] == ',')
			return false;
	return true;
}

/* Could s[0..n) hold an address or a key?  One pass, no copies. */
static bool
suspect(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] == '@' || (s[i] == 's' && i + 2 < n &&
		    s[i + 1] == 'k' && s[i + 2] == '-'))
			return true;
	return false;
}

/*
 * The scrubbed form of s[0..n) in out (NUL-terminated): an address
 * becomes "sha256:<hex>" and its prefix is set; anything else has its
 * addresses and key-like tokens redacted.  Returns false when s stays as
 * it is (out untouched, prefix empty).
 */
static bool
scrub(const char *s, size_t n, struct buf *out, char prefix[EMAIL_PREFIX_MAX])
{
	char	 hex[EMAIL_HASH_HEX], *c;
	bool	 changed;

	prefix[0] = '\0';
	if (!suspect(s, n))
		return false;
	c = xmalloc(n + 1);
	memcpy(c, s, n);
	c[n] = '\0';
	buf_reset(out);
	if (is_address(s, n)) {
		email_hash(c, hex, prefix);
		buf_printf(out, "sha256:%s", hex);
		changed = true;
	} else {
		redact_text(c, out);
		changed = out->len != n || memcmp(out->p, s, n) != 0;
	}
	free(c);
	return changed;
}

/* -- canonical bytes --------------------------------------------------- */

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
int
audit_json_string(const char *str, size_t n, struct buf *b)
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
		if ((len = jscan_utf8(s + i, n - i, &cp)) == 0)
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

/*
 * An object's member as written: a node's key and value, or one made by
 * scrubbing ("<key>_prefix"), whose strings are owned.
 */
struct member {
	const char	*key;
	size_t		 len;
	uint32_t	 val;		/* the value's node, or JSCAN_NONE */
	uint32_t	 order;		/* later wins; made members last */
	char		*own_key, *own_val;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member	*x = a, *y = b;
	int			 c = memcmp(x->key, y->key, x->len < y->len ?
	    x->len : y->len);

	if (c != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int	canon_node(const struct jdoc *d, uint32_t k, struct buf *b,
		    struct buf *tmp);

/* A string, scrubbed, then escaped. */
static int
canon_value_string(const char *s, size_t n, struct buf *b, struct buf *tmp)
{
	char	 prefix[EMAIL_PREFIX_MAX];

	if (scrub(s, n, tmp, prefix))
		return audit_json_string(tmp->p, tmp->len, b);
	return audit_json_string(s, n, b);
}

/* Is member c the last of object k with its key (the one that counts)? */
static bool
last_of_key(const struct jdoc *d, uint32_t k, uint32_t c)
{
	uint32_t	 e;

	for (e = d->v[c + 1].end; e < d->v[k].end; e = d->v[e + 1].end)
		if (d->v[e].len == d->v[c].len &&
		    memcmp(d->v[e].s, d->v[c].s, d->v[c].len) == 0)
			return false;
	return true;
}

static int
canon_object(const struct jdoc *d, uint32_t k, struct buf *b, struct buf *tmp)
{
	struct member	 small[16], *m;
	const struct jnode *v = d->v;
	char		 prefix[EMAIL_PREFIX_MAX];
	size_t		 cap = v[k].n * 2, n = 0, i, w;
	uint32_t	 c;
	int		 rc = 0;

	m = cap <= 16 ? small : xcalloc(cap, sizeof(*m));
	for (c = JSCAN_FIRST(k); c < v[k].end; c = v[c + 1].end) {
		m[n] = (struct member){ v[c].s, v[c].len, c + 1, (uint32_t)n,
		    NULL, NULL };
		/* A key that holds an address or a key is redacted too. */
		if (scrub(v[c].s, v[c].len, tmp, prefix)) {
			m[n].own_key = xstrdup(tmp->p);
			m[n].key = m[n].own_key;
			m[n].len = tmp->len;
		}
		n++;
		/*
		 * Where an address sits under a key, keep whose it was: only
		 * for the value that counts, not one a repeated key drops.
		 */
		if (v[c + 1].type == J_STR && v[c].len < 100 &&
		    is_address(v[c + 1].s, v[c + 1].len) &&
		    last_of_key(d, k, c) &&
		    scrub(v[c + 1].s, v[c + 1].len, tmp, prefix)) {
			m[n] = (struct member){ NULL, 0, JSCAN_NONE,
			    UINT32_MAX, NULL, xstrdup(prefix) };
			m[n].own_key = xasprintf("%.*s_prefix",
			    (int)m[n - 1].len, m[n - 1].key);
			m[n].key = m[n].own_key;
			m[n].len = strlen(m[n].key);
			n++;
		}
	}
	qsort(m, n, sizeof(*m), member_cmp);
	buf_addc(b, '{');
	for (i = 0, w = 0; i < n && rc == 0; i++) {
		/* Of equal keys the last wins, as in jansson. */
		if (i + 1 < n && m[i + 1].len == m[i].len &&
		    memcmp(m[i + 1].key, m[i].key, m[i].len) == 0)
			continue;
		if (w++ > 0)
			buf_addc(b, ',');
		if ((rc = audit_json_string(m[i].key, m[i].len, b)) != 0)
			break;
		buf_addc(b, ':');
		rc = m[i].val != JSCAN_NONE ? canon_node(d, m[i].val, b, tmp) :
		    audit_json_string(m[i].own_val, strlen(m[i].own_val), b);
	}
	buf_addc(b, '}');
	for (i = 0; i < n; i++) {
		free(m[i].own_key);
		free(m[i].own_val);
	}
	if (m != small)
		free(m);
	return rc;
}

/* A real number, as jansson writes it (they are rare in the log). */
static int
canon_real(const struct jnode *x, struct buf *b)
{
	char	 text[64], out[64];
	json_t	*r;
	size_t	 n;

	if (x->len >= sizeof(text))
		return -1;
	memcpy(text, x->s, x->len);
	text[x->len] = '\0';
	r = json_real(strtod(text, NULL));
	n = r != NULL ? json_dumpb(r, out, sizeof(out), JSON_ENCODE_ANY) : 0;
	json_decref(r);
	if (n == 0 || n >= sizeof(out))
		return -1;
	buf_add(b, out, n);
	return 0;
}

static int
canon_node(const struct jdoc *d, uint32_t k, struct buf *b, struct buf *tmp)
{
	const struct jnode	*x = &d->v[k];
	uint32_t		 c;
	char			 num[24];

	switch (x->type) {
	case J_OBJ:
		return canon_object(d, k, b, tmp);
	case J_ARR:
		buf_addc(b, '[');
		for (c = JSCAN_FIRST(k); c < x->end; c = d->v[c].end) {
			if (c > JSCAN_FIRST(k))
				buf_addc(b, ',');
			if (canon_node(d, c, b, tmp) != 0)
				return -1;
		}
		buf_addc(b, ']');
		return 0;
	case J_STR:
		return canon_value_string(x->s, x->len, b, tmp);
	case J_INT:
		buf_add(b, num, (size_t)snprintf(num, sizeof(num), "%" PRId64,
		    x->i));
		return 0;
	case J_REAL:
		return canon_real(x, b);
	case J_TRUE:
		buf_adds(b, "true");
		return 0;
	case J_FALSE:
		buf_adds(b, "false");
		return 0;
	case J_NULL:
		buf_adds(b, "null");
		return 0;
	}
	return -1;
}

int
audit_canon(const struct jdoc *d, uint32_t k, struct buf *b)
{
	struct buf	 tmp = { 0 };
	int		 rc;

	rc = canon_node(d, k, b, &tmp);
	free(tmp.p);
	return rc;
}

/* -- the row ----------------------------------------------------------- */

/*
 * A row's strings are gathered in one buffer as offsets (+1; 0 is NULL)
 * and moved into one allocation at the end: a row is one malloc and one
 * free, which matters at a million entries.
 */
static size_t
put(struct buf *s, const char *v, size_t n)
{
	size_t	 off = s->len;

	buf_add(s, v, n);
	buf_addc(s, '\0');
	return off + 1;
}

/* An identifier at node k, if it is a usable one. */
static size_t
put_id(struct buf *s, const struct jdoc *d, uint32_t k)
{
	char	 id[129];

	if (k == JSCAN_NONE || d->v[k].type != J_STR || d->v[k].len == 0 ||
	    d->v[k].len >= sizeof(id))
		return 0;
	memcpy(id, d->v[k].s, d->v[k].len);
	id[d->v[k].len] = '\0';
	return ingest_id_ok(id) ? put(s, id, d->v[k].len) : 0;
}

struct offs {
	size_t	 id, type, actor_type, actor_id, actor_key_id, project_id,
		 target_id;
};

/* The actor: session or API key, the user or service account behind it. */
static void
audit_actor(const struct jdoc *d, uint32_t o, struct audit_row *r,
    struct buf *s, struct offs *f)
{
	uint32_t	 actor = jscan_get(d, o, "actor"), who, user;
	const char	*type;
	char		*email;

	if (jscan_streq(d, jscan_get(d, actor, "type"), "session"))
		type = "session";
	else if (jscan_streq(d, jscan_get(d, actor, "type"), "api_key"))
		type = "api_key";
	else
		return;
	f->actor_type = put(s, type, strlen(type));
	who = jscan_get(d, actor, type);
	if ((user = jscan_get(d, who, "user")) != JSCAN_NONE) {
		f->actor_id = put_id(s, d, jscan_get(d, user, "id"));
		if ((email = jscan_strdup(d, jscan_get(d, user,
		    "email"))) != NULL) {
			email_hash(email, r->actor_email_sha256,
			    r->actor_email_prefix);
			free(email);
		}
	} else
		f->actor_id = put_id(s, d, jscan_get(d, jscan_get(d, who,
		    "service_account"), "id"));
	if (strcmp(type, "api_key") == 0)
		f->actor_key_id = put_id(s, d, jscan_get(d, who, "id"));
}

static char *
at(char *mem, size_t off)
{
	return off == 0 ? NULL : mem + off - 1;
}

int
audit_prepare(const struct jdoc *d, uint32_t k, struct audit_row *r,
    char *err, size_t n)
{
	struct buf	 s = { 0 }, body = { 0 };
	struct offs	 f = { 0 };
	uint32_t	 t, ty;
	char		 type[129];
	bool		 to_owner;

	memset(r, 0, sizeof(*r));
	if (k >= d->n || d->v[k].type != J_OBJ ||
	    (f.id = put_id(&s, d, jscan_get(d, k, "id"))) == 0) {
		snprintf(err, n, "audit log entry without a usable id");
		goto fail;
	}
	ty = jscan_get(d, k, "type");
	t = jscan_get(d, k, "effective_at");
	if (ty == JSCAN_NONE || d->v[ty].type != J_STR || d->v[ty].len == 0 ||
	    d->v[ty].len >= sizeof(type) || memchr(d->v[ty].s, '\0',
	    d->v[ty].len) != NULL || t == JSCAN_NONE ||
	    d->v[t].type != J_INT || d->v[t].i <= 0) {
		snprintf(err, n, "audit log entry %s has no type or time",
		    s.p);
		goto fail;
	}
	memcpy(type, d->v[ty].s, d->v[ty].len);
	type[d->v[ty].len] = '\0';
	f.type = put(&s, type, d->v[ty].len);
	r->effective_at = d->v[t].i;
	audit_actor(d, k, r, &s, &f);
	f.project_id = put_id(&s, d, jscan_get(d, jscan_get(d, k, "project"),
	    "id"));
	f.target_id = put_id(&s, d, jscan_get(d, jscan_get(d, k, type), "id"));
	/* A user made an owner of the org: an alert of its own. */
	to_owner = strcmp(type, "user.updated") == 0 && jscan_streq(d,
	    jscan_get(d, jscan_get(d, jscan_get(d, k, type),
	    "changes_requested"), "role"), "owner");
	if (audit_canon(d, k, &body) != 0 || body.len > AUDIT_BODY_MAX) {
		snprintf(err, n, "audit log entry %s is %s", s.p,
		    body.len > AUDIT_BODY_MAX ? "too large to keep" :
		    "not valid JSON text");
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
	r->to_owner = to_owner;
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

/* The creating types; migration 008 backfills the same list. */
static const char *const origin_types[] = {
	"api_key.created", "user.added", "project.created",
	"service_account.created", "invite.sent"
};

bool
audit_is_origin(const char *type)
{
	size_t	 i;

	for (i = 0; i < sizeof(origin_types) / sizeof(origin_types[0]); i++)
		if (strcmp(type, origin_types[i]) == 0)
			return true;
	return false;
}

void
audit_hash(const unsigned char prev[AUDIT_HASH_LEN], const char *body,
    size_t len, unsigned char out[AUDIT_HASH_LEN])
{
	sha256_2(prev, AUDIT_HASH_LEN, body, len, out);
}
