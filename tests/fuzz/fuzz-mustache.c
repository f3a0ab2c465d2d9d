/*
 * fuzz-mustache.c: the template compiler and renderer (src/mustache.h).
 * The input is up to three templates, "a", "b" and "c", separated by NUL
 * bytes, so partials and parents can name each other; each that compiles
 * is rendered against a fixed context holding every kind of value.  A
 * render that would pass the step or output limit must fail cleanly.
 */
#include <jansson.h>

#include "fuzz.h"
#include "mustache.h"
#include "util.h"

static const char	*ctx_text = "{\"a\":\"<b>&amp;\\\"'\",\"b\":[1,2.5,"
	"{\"c\":\"d\",\"a\":null}],\"c\":{\"d\":true,\"e\":{\"f\":\"g\"}},"
	"\"e\":false,\"f\":[],\"g\":0,\"h\":\"\",\"i\":{},\"list\":[{\"x\":"
	"\"1\"},{\"x\":\"2\"}],\"n\":-7}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*names[] = { "a", "b", "c" };
	static json_t		*ctx;
	struct mustache		*m = mustache_new();
	struct buf		 out = { 0 };
	char			*src, err[256];
	size_t			 i, len;
	int			 r;

	if (ctx == NULL && (ctx = json_loads(ctx_text, 0, NULL)) == NULL)
		abort();
	for (i = 0; i < 3 && (i == 0 || size > 0); i++) {
		src = fuzz_take(&data, &size, '\0');
		if (mustache_add(m, names[i], src, strlen(src), err,
		    sizeof(err)) != 0)
			FUZZ_ASSERT(!mustache_has(m, names[i]));
		free(src);
	}
	for (i = 0; i < 3; i++) {
		if (!mustache_has(m, names[i]))
			continue;
		buf_reset(&out);
		/* Too much work fails, leaving out as it was. */
		r = mustache_render(m, names[i], ctx, &out);
		FUZZ_ASSERT(r == 0 || (r == -1 && out.len == 0));
		len = out.len;
		r = mustache_render(m, names[i], NULL, &out);
		FUZZ_ASSERT(r == 0 || (r == -1 && out.len == len));
	}
	FUZZ_ASSERT(mustache_render(m, "", ctx, &out) == -1);
	buf_free(&out);
	mustache_free(m);
	return 0;
}
