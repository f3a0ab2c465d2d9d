/*
 * mustache.h: logic-less mustache templates over jansson data, for the
 * dashboard's HTML.  A set of templates is compiled once, when the process
 * starts, and rendered many times: rendering never parses, never reads a
 * file and allocates nothing but the growth of the output buffer.
 *
 * The syntax and whitespace rules are those of the mustache spec
 * (tests/mustache-spec): {{x}} is HTML-escaped, {{{x}}} and {{&x}} are
 * raw; dotted names and {{.}}; sections, inverted sections, comments,
 * partials, set delimiters; and inheritance: {{<layout}} fills the
 * layout's {{$blocks}}.  Lambdas are not supported.
 */
#ifndef ORGAUDIT_MUSTACHE_H
#define ORGAUDIT_MUSTACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct buf;

/*
 * Nesting limit for a render: sections, partials, parents and blocks
 * inside each other.  Anything deeper renders as nothing, so a partial
 * that includes itself always stops.  A template whose own sections nest
 * deeper does not compile.
 */
#define MUSTACHE_MAX_DEPTH	64
/*
 * Work one render may do: steps (one per tag or text rendered, every
 * repetition of a section counting, plus one per byte of a looked-up
 * name) and bytes written.  Nested lists multiply; past either limit the
 * render fails instead of running for hours.
 */
#define MUSTACHE_MAX_STEPS	4000000
#define MUSTACHE_MAX_OUTPUT	(16 * 1024 * 1024)
/* The largest template file mustache_load_dir() reads. */
#define MUSTACHE_MAX_FILE	(1024 * 1024)

/* A set of compiled templates, by name; partials name templates of the set. */
struct mustache;

/* An empty set; never NULL.  Release it with mustache_free(). */
struct mustache	*mustache_new(void);

/*
 * Compiles len bytes of src as the template called name (any non-empty
 * string), replacing a template of that name.  The set keeps its own copy
 * of what it needs; src may go away.  Partials and parents are looked up
 * by name when rendering, so templates may be added in any order.
 * Returns 0, or -1 with "name:line: what" in err (unclosed tag or
 * section, mismatched or stray close, bad delimiter, bad or empty name,
 * nesting too deep) and the set unchanged.
 */
int		 mustache_add(struct mustache *m, const char *name,
		    const char *src, size_t len, char *err, size_t errlen);

/*
 * Adds every regular file "*.mustache" in dir (not its subdirectories,
 * not dot files) under its file name without the extension: dir/layout
 * .mustache is "layout".  Returns 0, or -1 with a message in err naming
 * the file or the template and line; the set may then hold some of the
 * directory's templates, so treat -1 as fatal.
 */
int		 mustache_load_dir(struct mustache *m, const char *dir,
		    char *err, size_t errlen);

/* Whether the set holds a template called name. */
bool		 mustache_has(const struct mustache *m, const char *name);

/*
 * Renders the template called name against data (borrowed; NULL renders
 * as an empty context) and appends the result to out.  Returns -1, with
 * out as it was, when there is no such template or the render would pass
 * MUSTACHE_MAX_STEPS or MUSTACHE_MAX_OUTPUT; 0 otherwise.  Missing
 * partials, names and blocks render as nothing.
 */
int		 mustache_render(const struct mustache *m, const char *name,
		    json_t *data, struct buf *out);

/* Releases the set and every template in it; NULL is allowed. */
void		 mustache_free(struct mustache *m);

#endif
