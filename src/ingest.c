/*
 * ingest.c: see ingest.h.  Lenient about everything optional (missing
 * fields, nulls, unknown fields), strict about identifiers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "util.h"

bool
ingest_id_ok(const char *id)
{
	size_t	 i;

	/* Ids go into URL paths: no dot segments ("." or ".."). */
	if (id == NULL || id[0] == '\0' || id[0] == '.')
		return false;
	for (i = 0; id[i] != '\0'; i++) {
		if (i >= 128)
			return false;
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') ||
		    id[i] == '_' || id[i] == '-' || id[i] == '.' ||
		    id[i] == ':'))
			return false;
	}
	return true;
}

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A Unix time field: integer, or a real truncated; 0 when absent. */
static int64_t
ts(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
	if (json_is_real(v) && json_real_value(v) > 0 &&
	    json_real_value(v) < 1e15)
		return (int64_t)json_real_value(v);
	return 0;
}

/* A name kept up to INGEST_NAME_MAX bytes, cut on a UTF-8 boundary. */
static char *
name_dup(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if (n > INGEST_NAME_MAX) {
		n = INGEST_NAME_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return xstrndup(s, n);
}

static int
need_id(json_t *o, const char **id, const char *what, char *err, size_t n)
{
	if (!json_is_object(o)) {
		snprintf(err, n, "%s is not an object", what);
		return -1;
	}
	*id = str(o, "id");
	if (!ingest_id_ok(*id)) {
		snprintf(err, n, "%s has a missing or malformed id", what);
		return -1;
	}
	return 0;
}

int
ingest_user(json_t *o, struct row_user *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_id(o, &r->id, "user", err, n) != 0)
		return -1;
	email_hash(str(o, "email"), r->email_sha256, r->email_prefix);
	r->role = str(o, "role");
	r->added_at = ts(o, "added_at");
	r->is_service_account = json_is_true(json_object_get(o,
	    "is_service_account"));
	return 0;
}

int
ingest_project(json_t *o, struct row_project *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_id(o, &r->id, "project", err, n) != 0)
		return -1;
	r->name = name_dup(str(o, "name"));
	r->status = str(o, "status");
	r->created_at = ts(o, "created_at");
	r->archived_at = ts(o, "archived_at");
	r->archived = r->archived_at > 0 ||
	    (r->status != NULL && strcmp(r->status, "archived") == 0);
	return 0;
}

void
key_row_free(struct key_row *r)
{
	free(r->id);
	free(r->project_id);
	free(r->name);
	free(r->owner_type);
	free(r->owner_id);
	free(r->owner_access);
	memset(r, 0, sizeof(*r));
}

/* Owner id of a project key: owner.user.id or owner.service_account.id. */
static const char *
key_owner_id(json_t *owner, const char *type)
{
	json_t	*who = NULL;

	if (type != NULL && strcmp(type, "service_account") == 0)
		who = json_object_get(owner, "service_account");
	else if (type != NULL && strcmp(type, "user") == 0)
		who = json_object_get(owner, "user");
	if (who == NULL)	/* shape drift: take whichever is present */
		who = json_object_get(owner, "user") != NULL ?
		    json_object_get(owner, "user") :
		    json_object_get(owner, "service_account");
	return str(who, "id");
}

int
ingest_project_key(json_t *o, const char *project_id, struct key_row *r,
    char *err, size_t n)
{
	json_t		*owner;
	const char	*id, *otype, *oid, *red, *access;

	memset(r, 0, sizeof(*r));
	if (need_id(o, &id, "project API key", err, n) != 0)
		return -1;
	owner = json_object_get(o, "owner");
	otype = str(owner, "type");
	if (otype == NULL)
		otype = json_object_get(owner, "service_account") != NULL ?
		    "service_account" : "user";
	oid = key_owner_id(owner, otype);
	red = str(o, "redacted_value");
	access = str(o, "owner_project_access");
	r->type = key_classify(red, otype);
	key_redact(red, r->type, r->redacted);
	r->id = xstrdup(id);
	r->project_id = xstrdup(project_id);
	r->name = name_dup(str(o, "name"));
	r->owner_type = xstrdup(otype);
	r->owner_id = ingest_id_ok(oid) ? xstrdup(oid) : NULL;
	r->owner_access = access != NULL && (strcmp(access, "active") == 0 ||
	    strcmp(access, "inactive") == 0) ? xstrdup(access) : NULL;
	r->created_at = ts(o, "created_at");
	r->last_used_at = ts(o, "last_used_at");
	return 0;
}

int
ingest_admin_key(json_t *o, struct key_row *r, char *err, size_t n)
{
	json_t		*owner;
	const char	*id, *otype, *oid;

	memset(r, 0, sizeof(*r));
	if (need_id(o, &id, "admin API key", err, n) != 0)
		return -1;
	owner = json_object_get(o, "owner");
	otype = str(owner, "type");
	oid = str(owner, "id");
	r->type = KEY_ADMIN;
	key_redact(str(o, "redacted_value"), KEY_ADMIN, r->redacted);
	r->id = xstrdup(id);
	r->name = name_dup(str(o, "name"));
	/* The schema says "always user"; its own example says otherwise. */
	r->owner_type = xstrdup(otype != NULL &&
	    strcmp(otype, "service_account") == 0 ? "service_account" : "user");
	r->owner_id = ingest_id_ok(oid) ? xstrdup(oid) : NULL;
	r->created_at = ts(o, "created_at");
	r->last_used_at = ts(o, "last_used_at");
	r->expires_at = ts(o, "expires_at");
	return 0;
}

int
ingest_svcacct(json_t *o, struct row_svcacct *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_id(o, &r->id, "service account", err, n) != 0)
		return -1;
	r->name = name_dup(str(o, "name"));
	r->role = str(o, "role");
	r->created_at = ts(o, "created_at");
	return 0;
}

int
ingest_projuser(json_t *o, struct row_projuser *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_id(o, &r->user_id, "project user", err, n) != 0)
		return -1;
	email_hash(str(o, "email"), r->email_sha256, r->email_prefix);
	r->role = str(o, "role");
	r->added_at = ts(o, "added_at");
	return 0;
}

int
ingest_invite(json_t *o, struct row_invite *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_id(o, &r->id, "invite", err, n) != 0)
		return -1;
	email_hash(str(o, "email"), r->email_sha256, r->email_prefix);
	r->role = str(o, "role");
	r->status = str(o, "status");
	r->created_at = ts(o, "created_at");
	r->expires_at = ts(o, "expires_at");
	r->accepted_at = ts(o, "accepted_at");
	return 0;
}
