/*
 * oa-page.c: see oa-page.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oa-page.h"
#include "util.h"

int
oa_page_parse(const char *body, size_t len, struct oa_page *pg, char *err,
    size_t errlen)
{
	json_error_t	 je;
	json_t		*last, *id, *more;
	const char	*s, *nul;

	memset(pg, 0, sizeof(*pg));
	/* jansson takes a NUL after a number as the end; jscan does not. */
	if ((nul = memchr(body, '\0', len)) != NULL) {
		snprintf(err, errlen, "response is not JSON: a NUL byte at "
		    "byte %zu", (size_t)(nul - body));
		return -1;
	}
	if ((pg->root = json_loadb(body, len, 0, &je)) == NULL) {
		if (strstr(je.text, "end of file expected") != NULL)
			snprintf(err, errlen, "response holds more than one "
			    "JSON document (trailing data at byte %d)",
			    je.position);
		else
			snprintf(err, errlen, "response is not JSON: %s at "
			    "byte %d", je.text, je.position);
		return -1;
	}
	if (!json_is_object(pg->root) ||
	    !json_is_array(pg->data = json_object_get(pg->root, "data"))) {
		snprintf(err, errlen, "response is not a list: no 'data' "
		    "array");
		oa_page_free(pg);
		return -1;
	}
	more = json_object_get(pg->root, "has_more");
	if (more != NULL && !json_is_boolean(more)) {
		snprintf(err, errlen, "response 'has_more' is not a boolean");
		oa_page_free(pg);
		return -1;
	}
	s = json_string_value(json_object_get(pg->root, "last_id"));
	/* The "next" lists (roles, groups) name their cursor next. */
	if (s == NULL || *s == '\0')
		s = json_string_value(json_object_get(pg->root, "next"));
	if ((s == NULL || *s == '\0') && json_array_size(pg->data) > 0) {
		last = json_array_get(pg->data, json_array_size(pg->data) - 1);
		id = json_object_get(last, "id");
		s = json_string_value(id);
	}
	pg->next = s != NULL && *s != '\0' ? s : NULL;
	pg->has_more = json_is_true(more) && json_array_size(pg->data) > 0 &&
	    pg->next != NULL;
	return 0;
}

void
oa_page_free(struct oa_page *pg)
{
	json_decref(pg->root);
	memset(pg, 0, sizeof(*pg));
}

int
oa_chain_follow(struct oa_chain *c, const char *next, char *err,
    size_t errlen)
{
	size_t	 i, max = c->max_pages ? c->max_pages : 100000;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->seen[i], next) == 0) {
			snprintf(err, errlen, "cursor does not advance: "
			    "after=%.64s was already followed (page %zu)",
			    next, c->n + 1);
			return -1;
		}
	if (c->n >= max) {
		snprintf(err, errlen, "stream passed %zu pages; stopping",
		    max);
		return -1;
	}
	c->seen = xrealloc(c->seen, (c->n + 1) * sizeof(*c->seen));
	c->seen[c->n++] = xstrdup(next);
	return 0;
}

void
oa_chain_free(struct oa_chain *c)
{
	size_t	 i;

	for (i = 0; i < c->n; i++)
		free(c->seen[i]);
	free(c->seen);
	c->seen = NULL;
	c->n = 0;
}

int
oa_page_scan(const char *body, size_t len, struct oa_jpage *pg, char *err,
    size_t errlen)
{
	struct jdoc	*d = &pg->doc;
	uint32_t	 more, last = JSCAN_NONE, c;
	char		 why[200];

	memset(pg, 0, sizeof(*pg));
	if (jscan_parse(d, body, len, why, sizeof(why)) != 0) {
		if (strstr(why, "end of file expected") != NULL)
			snprintf(err, errlen, "response holds more than one "
			    "JSON document (trailing data: %s)", why);
		else
			snprintf(err, errlen, "response is not JSON: %s", why);
		goto fail;
	}
	pg->data = jscan_get(d, 0, "data");
	if (pg->data == JSCAN_NONE || d->v[pg->data].type != J_ARR) {
		snprintf(err, errlen, "response is not a list: no 'data' "
		    "array");
		goto fail;
	}
	pg->count = d->v[pg->data].n;
	more = jscan_get(d, 0, "has_more");
	if (more != JSCAN_NONE && d->v[more].type != J_TRUE &&
	    d->v[more].type != J_FALSE) {
		snprintf(err, errlen, "response 'has_more' is not a boolean");
		goto fail;
	}
	pg->next = jscan_strdup(d, jscan_get(d, 0, "last_id"));
	if ((pg->next == NULL || *pg->next == '\0') && pg->count > 0) {
		free(pg->next);
		for (c = JSCAN_FIRST(pg->data); c < d->v[pg->data].end;
		    c = d->v[c].end)
			last = c;
		pg->next = jscan_strdup(d, jscan_get(d, last, "id"));
	}
	if (pg->next != NULL && *pg->next == '\0') {
		free(pg->next);
		pg->next = NULL;
	}
	pg->has_more = more != JSCAN_NONE && d->v[more].type == J_TRUE &&
	    pg->count > 0 && pg->next != NULL;
	return 0;
fail:
	oa_jpage_free(pg);
	return -1;
}

void
oa_jpage_free(struct oa_jpage *pg)
{
	jscan_free(&pg->doc);
	free(pg->next);
	memset(pg, 0, sizeof(*pg));
}
