/*
 * fuzz-jscan.c: the JSON scanner (src/jscan.h) against jansson, whose
 * json_loadb() with no flags it promises to match: the same texts are
 * accepted, and an accepted text gives the same values.  The node
 * array's own shape (subtrees nested, counts right) is checked too.
 * One difference is jansson's: it takes a NUL byte right after a number
 * as the end of the text ("[1\0]"; JSONTestSuite's
 * n_multidigit_number_then_00, jansson issue 331), which jscan refuses.
 */
#include <math.h>

#include <jansson.h>

#include "fuzz.h"
#include "jscan.h"

/* Node k of d holds what j holds; returns the index past its subtree. */
static uint32_t
same(const struct jdoc *d, uint32_t k, json_t *j)
{
	const struct jnode	*v = &d->v[k];
	uint32_t		 c, n = 0;
	const char		*key;
	json_t			*m;
	char			*s;

	FUZZ_ASSERT(k < d->n && v->end > k && v->end <= d->n);
	switch (v->type) {
	case J_NULL:
		FUZZ_ASSERT(json_is_null(j));
		break;
	case J_TRUE:
		FUZZ_ASSERT(json_is_true(j));
		break;
	case J_FALSE:
		FUZZ_ASSERT(json_is_false(j));
		break;
	case J_INT:
		FUZZ_ASSERT(json_is_integer(j) && json_integer_value(j) == v->i);
		break;
	case J_REAL:
		s = fuzz_cstr((const uint8_t *)v->s, v->len);
		FUZZ_ASSERT(json_is_real(j) && strtod(s, NULL) ==
		    json_real_value(j));
		free(s);
		break;
	case J_STR:
		FUZZ_ASSERT(json_is_string(j) && json_string_length(j) ==
		    v->len && memcmp(json_string_value(j), v->s, v->len) == 0);
		break;
	case J_ARR:
		FUZZ_ASSERT(json_is_array(j) && json_array_size(j) == v->n);
		for (c = JSCAN_FIRST(k); c < v->end; n++)
			c = same(d, c, json_array_get(j, n));
		FUZZ_ASSERT(c == v->end && n == v->n);
		break;
	case J_OBJ:
		FUZZ_ASSERT(json_is_object(j) && json_object_size(j) <= v->n);
		for (c = JSCAN_FIRST(k); c < v->end; n++) {
			FUZZ_ASSERT(d->v[c].type == J_STR && d->v[c].end == c + 1);
			c = d->v[c + 1].end;
		}
		FUZZ_ASSERT(c == v->end && n == v->n);
		json_object_foreach(j, key, m) {
			/* A key holding NUL is refused, so strcmp sees it all. */
			c = jscan_get(d, k, key);
			FUZZ_ASSERT(c != JSCAN_NONE);
			same(d, c, m);
		}
		break;
	}
	return v->end;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jdoc	 d;
	json_error_t	 je;
	json_t		*j;
	char		 err[200];
	int		 rc;

	memset(&d, 0, sizeof(d));
	rc = jscan_parse(&d, (const char *)data, size, err, sizeof(err));
	j = json_loadb((const char *)data, size, 0, &je);
	if (rc != 0 || j == NULL) {
		if (rc != 0 && j != NULL && memchr(data, '\0', size) != NULL)
			goto out;
		if ((rc == 0) != (j != NULL))
			fprintf(stderr, "jscan %s, jansson %s\n", rc == 0 ?
			    "accepts" : err, j != NULL ? "accepts" : je.text);
		FUZZ_ASSERT((rc == 0) == (j != NULL));
	} else
		FUZZ_ASSERT(same(&d, 0, j) == d.n);
out:
	json_decref(j);
	jscan_free(&d);
	return 0;
}
