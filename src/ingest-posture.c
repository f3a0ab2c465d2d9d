/*
 * ingest-posture.c: see ingest-posture.h.  As ingest.c: lenient about
 * what is optional, strict about identifiers, and exact about amounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ingest-posture.h"

static const char *
str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An array of strings as compact JSON (new string), or NULL if not one. */
static char *
strings_dump(json_t *a)
{
	size_t	 i;
	json_t	*v;

	if (!json_is_array(a))
		return NULL;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			return NULL;
	return json_dumps(a, JSON_COMPACT);
}

static int
need_object(json_t *o, const char *what, char *err, size_t n)
{
	if (json_is_object(o))
		return 0;
	snprintf(err, n, "%s is not an object", what);
	return -1;
}

int
ingest_model_perm(json_t *o, struct row_model_perm *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_object(o, "model permissions", err, n) != 0)
		return -1;
	r->mode = str(o, "mode");
	if (r->mode == NULL || (strcmp(r->mode, "allow_list") != 0 &&
	    strcmp(r->mode, "deny_list") != 0)) {
		snprintf(err, n, "model permissions: mode is not allow_list or "
		    "deny_list");
		return -1;
	}
	if ((r->model_ids = strings_dump(json_object_get(o, "model_ids"))) ==
	    NULL) {
		snprintf(err, n, "model permissions: model_ids is not an array "
		    "of strings");
		return -1;
	}
	return 0;
}

/*
 * The parser keeps integers as integers (no JSON_DECODE_INT_AS_REAL), so
 * a threshold in cents arrives exact; a real or a string is refused, not
 * rounded.
 */
int
ingest_spend_alert(json_t *o, struct row_spend_alert *r, char *err, size_t n)
{
	json_t	*t, *ch;

	memset(r, 0, sizeof(*r));
	if (need_object(o, "spend alert", err, n) != 0)
		return -1;
	r->id = str(o, "id");
	if (!ingest_id_ok(r->id)) {
		snprintf(err, n, "spend alert has a missing or malformed id");
		return -1;
	}
	t = json_object_get(o, "threshold_amount");
	if (!json_is_integer(t) || json_integer_value(t) < 0) {
		snprintf(err, n, "spend alert %s: threshold_amount is not a "
		    "whole number of cents", r->id);
		return -1;
	}
	r->threshold_cents = json_integer_value(t);
	r->currency = str(o, "currency");
	r->interval = str(o, "interval");
	ch = json_object_get(o, "notification_channel");
	r->channel = str(ch, "type");
	r->recipients = (int64_t)json_array_size(json_object_get(ch,
	    "recipients"));
	return 0;
}

int
ingest_retention(json_t *o, const char **type, char *err, size_t n)
{
	*type = NULL;
	if (need_object(o, "data retention", err, n) != 0)
		return -1;
	*type = str(o, "type");
	if (*type == NULL || **type == '\0' || strlen(*type) > 64) {
		snprintf(err, n, "data retention: no type");
		*type = NULL;
		return -1;
	}
	return 0;
}

static const char *const rate_fields[RL__MAX] = {
	"max_requests_per_1_minute", "max_tokens_per_1_minute",
	"max_images_per_1_minute", "max_audio_megabytes_per_1_minute",
	"max_requests_per_1_day", "batch_1_day_max_input_tokens"
};

int
ingest_rate_limit(json_t *o, struct row_rate_limit *r, char *err, size_t n)
{
	json_t	*v;
	int	 i;

	memset(r, 0, sizeof(*r));
	if (need_object(o, "rate limit", err, n) != 0)
		return -1;
	r->id = str(o, "id");
	r->model = str(o, "model");
	if (!ingest_id_ok(r->id) || r->model == NULL || *r->model == '\0' ||
	    strlen(r->model) > 128) {
		snprintf(err, n, "rate limit has a missing or malformed id or "
		    "model");
		return -1;
	}
	for (i = 0; i < RL__MAX; i++) {
		v = json_object_get(o, rate_fields[i]);
		if ((r->has[i] = json_is_integer(v)))
			r->max[i] = json_integer_value(v);
	}
	return 0;
}

int
ingest_role(json_t *o, struct row_role *r, char *err, size_t n)
{
	memset(r, 0, sizeof(*r));
	if (need_object(o, "role", err, n) != 0)
		return -1;
	r->id = str(o, "id");
	if (!ingest_id_ok(r->id)) {
		snprintf(err, n, "role has a missing or malformed id");
		return -1;
	}
	r->name = str(o, "name");
	r->description = str(o, "description");
	r->permissions = strings_dump(json_object_get(o, "permissions"));
	r->resource_type = str(o, "resource_type");
	r->predefined = json_is_true(json_object_get(o, "predefined_role"));
	return 0;
}

/*
 * assignment_sources null (or absent, or empty): the user holds the role
 * in its own right.  Otherwise each source is a principal: a group adds
 * its id to group_ids, the user itself makes the role direct too.
 */
int
ingest_user_role(json_t *o, struct row_user_role *r, char *err, size_t n)
{
	json_t		*src, *s, *groups;
	const char	*type, *id;
	size_t		 i;

	memset(r, 0, sizeof(*r));
	if (need_object(o, "role assignment", err, n) != 0)
		return -1;
	r->role_id = str(o, "id");
	if (!ingest_id_ok(r->role_id)) {
		snprintf(err, n, "role assignment has a missing or malformed "
		    "role id");
		return -1;
	}
	r->role_name = str(o, "name");
	src = json_object_get(o, "assignment_sources");
	if (json_array_size(src) == 0) {
		r->direct = true;
		return 0;
	}
	groups = json_array();
	json_array_foreach(src, i, s) {
		type = str(s, "principal_type");
		id = str(s, "principal_id");
		if (type != NULL && strcmp(type, "group") == 0 &&
		    ingest_id_ok(id))
			json_array_append_new(groups, json_string(id));
		else
			r->direct = true;
	}
	if (json_array_size(groups) > 0)
		r->group_ids = json_dumps(groups, JSON_COMPACT);
	json_decref(groups);
	return 0;
}
