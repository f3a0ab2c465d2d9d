/*
 * audit.c: see audit.h.
 */
#include <ctype.h>
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

static char *
dup_id(json_t *v)
{
	const char	*s = json_string_value(v);

	return ingest_id_ok(s) ? xstrdup(s) : NULL;
}

/* The actor: session or API key, the user or service account behind it. */
static void
audit_actor(json_t *o, struct audit_row *r)
{
	json_t		*actor = json_object_get(o, "actor"), *who, *user;
	const char	*type = json_string_value(json_object_get(actor, "type"));
	const char	*email;

	if (type == NULL || (strcmp(type, "session") != 0 &&
	    strcmp(type, "api_key") != 0))
		return;
	r->actor_type = xstrdup(type);
	who = json_object_get(actor, type);
	user = json_object_get(who, "user");
	if (user != NULL) {
		r->actor_id = dup_id(json_object_get(user, "id"));
		email = json_string_value(json_object_get(user, "email"));
		if (email != NULL)
			email_hash(email, r->actor_email_sha256,
			    r->actor_email_prefix);
	} else
		r->actor_id = dup_id(json_object_get(json_object_get(who,
		    "service_account"), "id"));
	if (strcmp(type, "api_key") == 0)
		r->actor_key_id = dup_id(json_object_get(who, "id"));
}

int
audit_prepare(json_t *o, struct audit_row *r, char *err, size_t n)
{
	const char	*type;
	json_t		*at;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o) || (r->id = dup_id(json_object_get(o,
	    "id"))) == NULL) {
		snprintf(err, n, "audit log entry without a usable id");
		goto fail;
	}
	type = json_string_value(json_object_get(o, "type"));
	at = json_object_get(o, "effective_at");
	if (type == NULL || *type == '\0' || strlen(type) > 128 ||
	    !json_is_integer(at) || json_integer_value(at) <= 0) {
		snprintf(err, n, "audit log entry %s has no type or time",
		    r->id);
		goto fail;
	}
	r->type = xstrdup(type);
	r->effective_at = json_integer_value(at);
	/* Identifiers first: the actor's address is hashed below. */
	audit_actor(o, r);
	r->project_id = dup_id(json_object_get(json_object_get(o, "project"),
	    "id"));
	r->target_id = dup_id(json_object_get(json_object_get(o, type), "id"));
	audit_scrub(o);
	r->body = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	if (r->body == NULL || (r->body_len = strlen(r->body)) >
	    AUDIT_BODY_MAX) {
		snprintf(err, n, "audit log entry %s is too large to keep",
		    r->id);
		goto fail;
	}
	return 0;
fail:
	audit_row_free(r);
	return -1;
}

void
audit_row_free(struct audit_row *r)
{
	free(r->id);
	free(r->type);
	free(r->actor_type);
	free(r->actor_id);
	free(r->actor_key_id);
	free(r->project_id);
	free(r->target_id);
	free(r->body);
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
