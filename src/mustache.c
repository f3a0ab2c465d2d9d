/*
 * mustache.c: see mustache.h.
 *
 * A template compiles in three steps over a token list.  lex() splits the
 * source into text and tags, following set-delimiter tags.  pair() matches
 * sections with their closes, and cut() decides which bytes around each
 * tag vanish with it: the spec's standalone lines, and the indentation of
 * partials, parents and blocks.  emit() then writes a flat op array in
 * which a section, parent or block op holds the index one past its body.
 * Every line start of the template becomes an OP_INDENT, the place where
 * an indented partial or block prints its indentation.
 *
 * Rendering walks index ranges.  The context stack, the indentation in
 * force and the parents whose blocks override (the block scope) are
 * linked frames on the C stack, so a render allocates nothing but output.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mustache.h"
#include "util.h"

#define DELIM_MAX	16		/* longest custom delimiter */
#define NAME_SHOW	64		/* longest name quoted in an error */
#define SHOW(a, b)	(int)((b) - (a) < NAME_SHOW ? (b) - (a) : NAME_SHOW)
#define TEMPLATE_EXT	".mustache"

enum op_type {
	OP_TEXT,	/* str, len: bytes to copy */
	OP_INDENT,	/* a line starts: the indentation in force */
	OP_VAR,		/* str, len: name parts (0 = "."); HTML-escaped */
	OP_RAW,		/* the same, not escaped */
	OP_SECTION,	/* name; body up to end */
	OP_INVERTED,	/* name; body up to end */
	OP_PARTIAL,	/* str: template name */
	OP_PARENT,	/* str: template name; body: argument blocks only */
	OP_BLOCK	/* str: block name; body: its default content */
};

struct op {
	enum op_type	 type;
	size_t		 str;		/* offset in tmpl.str */
	size_t		 len;		/* text bytes, or name parts */
	size_t		 end;		/* one past the body */
	size_t		 ind;		/* offset in tmpl.str ... */
	size_t		 indlen;	/* ... of the indentation */
	bool		 standalone;	/* partial, parent, block: indents */
	bool		 midline;	/* block: body starts inside a line */
};

struct tmpl {
	char		*name;
	struct op	*ops;
	size_t		 nops, capops;
	struct buf	 str;		/* texts, names, indentations */
};

struct mustache {
	struct tmpl	**t;		/* sorted by name */
	size_t		  n;
};

/* One token of the source.  Offsets are into the source. */
struct tok {
	int		 kind;		/* 0 text, or 'v' '&' '#' '^' '/'
					   '!' '>' '=' '<' '$' */
	size_t		 s, e;		/* the token, delimiters included */
	size_t		 ns, ne;	/* a tag's content, trimmed */
	size_t		 line;
	size_t		 ls, re;	/* line start, past line end ... */
	bool		 lclear, rclear; /* ... when only blanks between */
	size_t		 cs, ce;	/* what vanishes with the tag */
	bool		 eatsleft;	/* cs was moved to the line start */
	size_t		 mate;		/* opener <-> closer */
	bool		 arg;		/* block directly inside a parent */
	bool		 pair;		/* parent or block standing alone */
	bool		 intrinsic;	/* block indented as its first line */
};

/* Compiler state for one template. */
struct comp {
	const char	*name;
	const char	*src;
	size_t		 len;
	char		*err;
	size_t		 errlen;
	struct tok	*tok;
	size_t		 ntok, captok;
	struct tmpl	*t;
	size_t		 open[MUSTACHE_MAX_DEPTH];	/* open op indexes */
	size_t		 nopen;
	size_t		 ded[MUSTACHE_MAX_DEPTH][2];	/* dedent: off, len */
	size_t		 nded;
};

/* Render frames, linked on the C stack. */
struct ctx {
	json_t			*v;
	const struct ctx	*up;
};

struct ind {
	const char		*s;
	size_t			 len;
	const struct ind	*up;
};

struct scope {
	const struct tmpl	*t;	/* a parent op of t: its arguments */
	size_t			 op;
	const struct scope	*up;
};

struct env {
	const struct ctx	*ctx;
	const struct ind	*ind;	/* NULL: no indentation */
	const struct scope	*scope;
	int			 depth;
};

struct render {
	const struct mustache	*m;
	struct buf		*out;
	size_t			 steps;		/* ops left to render */
	size_t			 limit;		/* out->len not to pass */
	bool			 over;		/* a limit was reached */
};

static int	 fail(struct comp *, size_t, const char *, ...)
		    PRINTF_LIKE(3, 4);
static void	 render_ops(struct render *, const struct tmpl *, size_t,
		    size_t, const struct env *);

/* Writes "name:line: what" into the caller's err.  Always -1. */
static int
fail(struct comp *c, size_t line, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(c->err, c->errlen, "%s:%zu: ", c->name, line);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Blanks are what indents a line and what may pad a standalone tag. */
static bool
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The number of line feeds in s[from, to). */
static size_t
count_nl(const char *s, size_t from, size_t to)
{
	size_t	 n = 0;

	for (; from < to; from++)
		if (s[from] == '\n')
			n++;
	return n;
}

/* Appends a token; the pointer is valid until the next tok_add(). */
static struct tok *
tok_add(struct comp *c, int kind, size_t s, size_t e, size_t line)
{
	struct tok	*k;

	if (c->ntok == c->captok) {
		c->captok = c->captok ? c->captok * 2 : 64;
		c->tok = xrealloc(c->tok, c->captok * sizeof(*c->tok));
	}
	k = &c->tok[c->ntok++];
	memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->s = k->cs = s;
	k->e = k->ce = e;
	k->line = line;
	return k;
}

/* Sets the new delimiters from a "{{=<% %>=}}" tag's content.  0 or -1. */
static int
set_delims(struct comp *c, const struct tok *k, char *otag, char *ctag)
{
	const char	*s = c->src;
	size_t		 a = k->ns, b, i;
	bool		 bad;

	while (a < k->ne && (unsigned char)s[a] > ' ')
		a++;
	for (b = a; b < k->ne && (unsigned char)s[b] <= ' '; b++)
		;
	bad = a == k->ns || b == a || b == k->ne || a - k->ns > DELIM_MAX ||
	    k->ne - b > DELIM_MAX || memchr(s + k->ns, '=', a - k->ns) ||
	    memchr(s + b, '=', k->ne - b);
	for (i = b; i < k->ne; i++)
		bad = bad || (unsigned char)s[i] <= ' ';
	if (bad)
		return fail(c, k->line, "bad set-delimiter tag: want two "
		    "delimiters, without blanks or '='");
	memcpy(otag, s + k->ns, a - k->ns);
	otag[a - k->ns] = '\0';
	memcpy(ctag, s + b, k->ne - b);
	ctag[k->ne - b] = '\0';
	return 0;
}

/*
 * Checks a tag's content: comments hold anything; other tags a name of
 * printable non-blank bytes, and data names no empty part ("a..b").
 */
static int
check_name(struct comp *c, const struct tok *k)
{
	const char	*s = c->src + k->ns;
	size_t		 n = k->ne - k->ns, i;
	bool		 bad = false;

	if (k->kind == '!' || k->kind == '=')
		return 0;
	if (n == 0)
		return fail(c, k->line, "empty tag");
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			bad = true;
	if (strchr("v&#^", k->kind) != NULL && !(n == 1 && s[0] == '.'))
		bad = bad || s[0] == '.' || s[n - 1] == '.' ||
		    memmem(s, n, "..", 2) != NULL;
	if (bad)
		return fail(c, k->line, "bad name '%.*s'", SHOW(0, n), s);
	return 0;
}

/* Splits the source into text and tag tokens.  0 or -1 with err. */
static int
lex(struct comp *c)
{
	char		 otag[DELIM_MAX + 1] = "{{", ctag[DELIM_MAX + 1] = "}}";
	char		 closer[DELIM_MAX + 2];
	const char	*s = c->src, *hit;
	size_t		 p = 0, q, a, line = 1;
	struct tok	*k;
	int		 kind;

	while (p < c->len) {
		hit = memmem(s + p, c->len - p, otag, strlen(otag));
		q = hit != NULL ? (size_t)(hit - s) : c->len;
		if (q > p) {
			tok_add(c, 0, p, q, line);
			line += count_nl(s, p, q);
		}
		if (q == c->len)
			break;
		a = q + strlen(otag);
		kind = a < c->len ? (unsigned char)s[a] : 0;
		if (kind != 0 && strchr("{=&#^/!><$", kind) != NULL)
			a++;
		else
			kind = 'v';
		snprintf(closer, sizeof(closer), "%s%s", kind == '{' ? "}" :
		    kind == '=' ? "=" : "", ctag);
		if ((hit = memmem(s + a, c->len - a, closer,
		    strlen(closer))) == NULL)
			return fail(c, line, "unclosed tag: no '%s' after "
			    "'%s'", closer, otag);
		k = tok_add(c, kind == '{' ? '&' : kind, q,
		    (size_t)(hit - s) + strlen(closer), line);
		k->ns = a;
		k->ne = (size_t)(hit - s);
		while (k->ns < k->ne && (unsigned char)s[k->ns] <= ' ')
			k->ns++;
		while (k->ne > k->ns && (unsigned char)s[k->ne - 1] <= ' ')
			k->ne--;
		if (kind == '=' ? set_delims(c, k, otag, ctag) == -1 :
		    check_name(c, k) == -1)
			return -1;
		line += count_nl(s, q, k->e);
		p = k->e;
	}
	return 0;
}

/* What an opening tag's sigil opens, for error messages. */
static const char *
kind_name(int kind)
{
	switch (kind) {
	case '#':
		return "section";
	case '^':
		return "inverted section";
	case '<':
		return "parent";
	default:
		return "block";
	}
}

/*
 * Matches every section, parent and block with its close and marks the
 * blocks that are a parent's arguments.  0 or -1 with err.
 */
static int
pair(struct comp *c)
{
	size_t		 st[MUSTACHE_MAX_DEPTH], n = 0, i;
	struct tok	*k, *top, *o;

	for (i = 0; i < c->ntok; i++) {
		k = &c->tok[i];
		top = n > 0 ? &c->tok[st[n - 1]] : NULL;
		if (k->kind == 0 || k->kind == '!' || k->kind == '=')
			continue;
		if (top != NULL && top->kind == '<' && k->kind != '$' &&
		    k->kind != '/')
			return fail(c, k->line, "only blocks and comments may "
			    "go directly inside parent '%.*s'",
			    SHOW(top->ns, top->ne), c->src + top->ns);
		switch (k->kind) {
		case '#':
		case '^':
		case '<':
		case '$':
			if (n == MUSTACHE_MAX_DEPTH)
				return fail(c, k->line, "sections nested "
				    "deeper than %d", MUSTACHE_MAX_DEPTH);
			k->arg = k->kind == '$' && top != NULL &&
			    top->kind == '<';
			st[n++] = i;
			break;
		case '/':
			if (top == NULL)
				return fail(c, k->line, "'/%.*s' closes "
				    "nothing", SHOW(k->ns, k->ne),
				    c->src + k->ns);
			if (top->ne - top->ns != k->ne - k->ns ||
			    memcmp(c->src + top->ns, c->src + k->ns,
			    k->ne - k->ns) != 0)
				return fail(c, k->line, "'/%.*s' does not "
				    "close %s '%.*s' (line %zu)",
				    SHOW(k->ns, k->ne), c->src + k->ns,
				    kind_name(top->kind),
				    SHOW(top->ns, top->ne), c->src + top->ns,
				    top->line);
			k->mate = st[--n];
			top->mate = i;
			break;
		}
	}
	if (n > 0) {
		o = &c->tok[st[n - 1]];
		return fail(c, o->line, "%s '%.*s' is never closed",
		    kind_name(o->kind), SHOW(o->ns, o->ne), c->src + o->ns);
	}
	return 0;
}

/* Whether only blanks lie between the line start and s; sets *ls. */
static bool
clear_left(const char *s, size_t at, size_t *ls)
{
	while (at > 0 && is_blank(s[at - 1]))
		at--;
	if (at > 0 && s[at - 1] != '\n')
		return false;
	*ls = at;
	return true;
}

/* Whether only blanks lie between e and the line end; *re: past it. */
static bool
clear_right(const char *s, size_t len, size_t at, size_t *re)
{
	while (at < len && is_blank(s[at]))
		at++;
	if (at < len && s[at] == '\r' && at + 1 < len && s[at + 1] == '\n')
		at++;
	if (at < len && s[at] != '\n')
		return false;
	*re = at < len ? at + 1 : at;
	return true;
}

/* A tag alone on its line takes the line, its line end included. */
static void
cut_line(struct tok *k)
{
	if (k->lclear && k->rclear) {
		k->cs = k->ls;
		k->ce = k->re;
		k->eatsleft = true;
	}
}

/* The tag takes the blanks before it (known to be clear). */
static void
cut_left(struct tok *k)
{
	k->cs = k->ls;
	k->eatsleft = true;
}

/*
 * Decides what vanishes with each tag.  A tag alone on its line takes the
 * whole line.  A parent, or a block outside a parent, whose open tag has
 * only blanks before it and whose close has only blanks after it, stands
 * alone as a pair: the blanks before it are its indentation.  A parent's
 * argument block owns the line end after its open tag and the blanks
 * before its close, as it would in a file of its own.
 */
static void
cut(struct comp *c)
{
	struct tok	*k, *o;
	size_t		 i;

	for (i = 0; i < c->ntok; i++) {
		k = &c->tok[i];
		if (k->kind == 0)
			continue;
		k->lclear = clear_left(c->src, k->s, &k->ls);
		k->rclear = clear_right(c->src, c->len, k->e, &k->re);
	}
	for (i = 0; i < c->ntok; i++) {
		k = &c->tok[i];
		switch (k->kind) {
		case '!':
		case '=':
		case '>':
		case '#':
		case '^':
			cut_line(k);
			break;
		case '<':
			if ((k->pair = k->lclear && c->tok[k->mate].rclear))
				cut_left(k);
			break;
		case '$':
			if (k->arg) {
				if ((k->intrinsic = k->rclear))
					k->ce = k->re;
				break;
			}
			k->pair = k->lclear && c->tok[k->mate].rclear;
			k->intrinsic = k->pair && k->rclear;
			if (k->lclear && k->rclear)
				cut_line(k);
			else if (k->pair)
				cut_left(k);
			break;
		case '/':
			o = &c->tok[k->mate];
			if (o->kind == '<' && o->pair)
				k->ce = k->re;
			else if (o->kind == '$' && o->arg && k->lclear)
				cut_left(k);
			else if (o->kind != '<' && !o->arg)
				cut_line(k);
			break;
		}
	}
}

/* Copies n bytes and a NUL into the template's strings; the offset. */
static size_t
str_add(struct tmpl *t, const char *p, size_t n)
{
	size_t	 off = t->str.len;

	buf_add(&t->str, p, n);
	buf_addc(&t->str, '\0');
	return off;
}

/* Appends an op; the pointer is valid until the next op_add(). */
static struct op *
op_add(struct comp *c, enum op_type type)
{
	struct tmpl	*t = c->t;
	struct op	*op;

	if (t->nops == t->capops) {
		t->capops = t->capops ? t->capops * 2 : 64;
		t->ops = xrealloc(t->ops, t->capops * sizeof(*t->ops));
	}
	op = &t->ops[t->nops++];
	memset(op, 0, sizeof(*op));
	op->type = type;
	op->end = t->nops;
	return op;
}

/* Whether the ops being emitted are a parent's, where text is ignored. */
static bool
dropping(const struct comp *c)
{
	return c->nopen > 0 && c->t->ops[c->open[c->nopen - 1]].type ==
	    OP_PARENT;
}

/*
 * How many bytes at the line start p (and before lim) are block
 * indentation to drop: each enclosing block's intrinsic indentation, in
 * turn, where it occurs.
 */
static size_t
dedent(const struct comp *c, size_t p, size_t lim)
{
	size_t	 at = p, i, off, n;

	for (i = 0; i < c->nded; i++) {
		off = c->ded[i][0];
		n = c->ded[i][1];
		if (n <= lim - at && memcmp(c->src + at, c->src + off, n) == 0)
			at += n;
	}
	return at - p;
}

/* Whether a line of the source starts at p. */
static bool
line_start(const struct comp *c, size_t p)
{
	return p == 0 || c->src[p - 1] == '\n';
}

/* Marks a line start, except among a parent's ignored text. */
static void
emit_indent(struct comp *c)
{
	if (!dropping(c))
		op_add(c, OP_INDENT);
}

/* Emits src[a, b): a line-start op at every line start, then the line. */
static void
emit_text(struct comp *c, size_t a, size_t b)
{
	const char	*nl;
	size_t		 q, off;
	struct op	*op;

	while (a < b) {
		if (line_start(c, a)) {
			emit_indent(c);
			if ((a += dedent(c, a, b)) == b)
				break;
		}
		nl = memchr(c->src + a, '\n', b - a);
		q = nl != NULL ? (size_t)(nl - c->src) + 1 : b;
		off = str_add(c->t, c->src + a, q - a);
		op = op_add(c, OP_TEXT);
		op->str = off;
		op->len = q - a;
		a = q;
	}
}

/* A data name as NUL-separated parts; returns the part count (0: "."). */
static size_t
name_add(struct comp *c, const struct tok *k, size_t *off)
{
	char	*p;
	size_t	 n = k->ne - k->ns, i, parts = 1;

	if (n == 1 && c->src[k->ns] == '.') {
		*off = str_add(c->t, "", 0);
		return 0;
	}
	*off = str_add(c->t, c->src + k->ns, n);
	p = c->t->str.p + *off;
	for (i = 0; i < n; i++)
		if (p[i] == '.') {
			p[i] = '\0';
			parts++;
		}
	return parts;
}

/* Stores src[a, b) as the indentation of the last op. */
static void
store_indent(struct comp *c, size_t a, size_t b)
{
	size_t	 off = str_add(c->t, c->src + a, b - a);

	c->t->ops[c->t->nops - 1].ind = off;
	c->t->ops[c->t->nops - 1].indlen = b - a;
}

/* The blanks before the tag, past any dedent, indent the last op. */
static void
set_indent(struct comp *c, const struct tok *k)
{
	store_indent(c, k->ls + dedent(c, k->ls, k->s), k->s);
}

/* Emits an op that opens a body and makes it the innermost open one. */
static void
emit_open(struct comp *c, enum op_type type, const struct tok *k)
{
	struct op	*op;
	size_t		 off, parts = 0;

	if (type == OP_SECTION || type == OP_INVERTED)
		parts = name_add(c, k, &off);
	else
		off = str_add(c->t, c->src + k->ns, k->ne - k->ns);
	op = op_add(c, type);
	op->str = off;
	op->len = parts;
	op->standalone = k->pair;
	op->midline = !(k->ce > 0 && c->src[k->ce - 1] == '\n');
	c->open[c->nopen++] = c->t->nops - 1;
}

/*
 * A block: its own indentation when it stands alone (the blanks before
 * it, or when its open tag ends the line, those of the line after), and
 * that intrinsic indentation is dropped from its lines.
 */
static void
emit_block(struct comp *c, const struct tok *k)
{
	size_t	 q, w;

	emit_open(c, OP_BLOCK, k);
	if (!k->intrinsic) {
		if (k->pair)
			set_indent(c, k);
		return;
	}
	q = k->re + dedent(c, k->re, c->len);
	for (w = q; w < c->len && is_blank(c->src[w]); w++)
		;
	if (k->pair)
		store_indent(c, q, w);
	c->ded[c->nded][0] = q;
	c->ded[c->nded][1] = w - q;
	c->nded++;
}

/* Emits one tag's op, or closes the innermost body. */
static void
emit_tag(struct comp *c, const struct tok *k)
{
	struct op	*op;
	size_t		 off, parts;

	switch (k->kind) {
	case 'v':
	case '&':
		parts = name_add(c, k, &off);
		op = op_add(c, k->kind == 'v' ? OP_VAR : OP_RAW);
		op->str = off;
		op->len = parts;
		break;
	case '#':
	case '^':
		emit_open(c, k->kind == '#' ? OP_SECTION : OP_INVERTED, k);
		break;
	case '<':
		emit_open(c, OP_PARENT, k);
		if (k->pair)
			set_indent(c, k);
		break;
	case '$':
		emit_block(c, k);
		break;
	case '>':
		off = str_add(c->t, c->src + k->ns, k->ne - k->ns);
		op = op_add(c, OP_PARTIAL);
		op->str = off;
		op->standalone = k->lclear && k->rclear;
		if (op->standalone)
			set_indent(c, k);
		break;
	case '/':
		if (c->tok[k->mate].intrinsic)
			c->nded--;
		c->nopen--;
		c->t->ops[c->open[c->nopen]].end = c->t->nops;
		break;
	}
}

/* Writes the op array from the tokens and their cuts. */
static void
emit(struct comp *c)
{
	const struct tok	*k;
	size_t			 i, a, b;

	for (i = 0; i < c->ntok; i++) {
		k = &c->tok[i];
		if (k->kind == 0) {
			a = i > 0 && c->tok[i - 1].ce > k->s ?
			    c->tok[i - 1].ce : k->s;
			b = i + 1 < c->ntok && c->tok[i + 1].cs < k->e ?
			    c->tok[i + 1].cs : k->e;
			if (!dropping(c))
				emit_text(c, a, b);
			continue;
		}
		if (line_start(c, k->s) && !k->eatsleft)
			emit_indent(c);
		emit_tag(c, k);
	}
}

/* Releases a template and everything it owns; NULL is allowed. */
static void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->ops);
	buf_free(&t->str);
	free(t);
}

/* Compiles src into a new template (caller frees), or NULL with err. */
static struct tmpl *
compile(const char *name, const char *src, size_t len, char *err,
    size_t errlen)
{
	struct comp	 c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.src = src;
	c.len = len;
	c.err = err;
	c.errlen = errlen;
	c.t = xcalloc(1, sizeof(*c.t));
	c.t->name = xstrdup(name);
	buf_add(&c.t->str, "", 0);
	if (lex(&c) == -1 || pair(&c) == -1)
		goto err;
	cut(&c);
	emit(&c);
	free(c.tok);
	return c.t;
err:
	free(c.tok);
	tmpl_free(c.t);
	return NULL;
}

struct mustache *
mustache_new(void)
{
	return xcalloc(1, sizeof(struct mustache));
}

/* The index of the template called name, or where it would go. */
static size_t
find_slot(const struct mustache *m, const char *name, bool *found)
{
	size_t	 lo = 0, hi = m->n, mid;
	int	 cmp;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((cmp = strcmp(name, m->t[mid]->name)) == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The template called name (borrowed from the set), or NULL. */
static const struct tmpl *
find(const struct mustache *m, const char *name)
{
	bool	 found;
	size_t	 i = find_slot(m, name, &found);

	return found ? m->t[i] : NULL;
}

int
mustache_add(struct mustache *m, const char *name, const char *src,
    size_t len, char *err, size_t errlen)
{
	struct tmpl	*t;
	size_t		 i;
	bool		 found;

	if (name == NULL || *name == '\0') {
		snprintf(err, errlen, "template name is empty");
		return -1;
	}
	if ((t = compile(name, src, len, err, errlen)) == NULL)
		return -1;
	i = find_slot(m, name, &found);
	if (found) {
		tmpl_free(m->t[i]);
		m->t[i] = t;
		return 0;
	}
	m->t = xrealloc(m->t, (m->n + 1) * sizeof(*m->t));
	memmove(&m->t[i + 1], &m->t[i], (m->n - i) * sizeof(*m->t));
	m->t[i] = t;
	m->n++;
	return 0;
}

/* scandir() filter: visible "*.mustache" names. */
static int
is_template_file(const struct dirent *d)
{
	size_t	 n = strlen(d->d_name), x = strlen(TEMPLATE_EXT);

	return d->d_name[0] != '.' && n > x &&
	    strcmp(d->d_name + n - x, TEMPLATE_EXT) == 0;
}

/* Reads and adds one template file.  0, 1 (not a regular file) or -1. */
static int
load_file(struct mustache *m, const char *dir, const char *file,
    char *err, size_t errlen)
{
	struct buf	 b = { 0 };
	struct stat	 st;
	char		*path, *name;
	int		 rc = -1;

	path = xasprintf("%s/%s", dir, file);
	name = xstrndup(file, strlen(file) - strlen(TEMPLATE_EXT));
	if (stat(path, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = 1;
		goto out;
	}
	if (file_read(path, MUSTACHE_MAX_FILE, &b) == -1) {
		if (errno == EFBIG)
			snprintf(err, errlen, "%s: larger than %d bytes", path,
			    MUSTACHE_MAX_FILE);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = mustache_add(m, name, b.p, b.len, err, errlen);
out:
	buf_free(&b);
	free(name);
	free(path);
	return rc;
}

int
mustache_load_dir(struct mustache *m, const char *dir, char *err,
    size_t errlen)
{
	struct dirent	**ents = NULL;
	int		  n, i, rc = 0;

	if ((n = scandir(dir, &ents, is_template_file, alphasort)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && load_file(m, dir, ents[i]->d_name, err,
		    errlen) == -1)
			rc = -1;
		free(ents[i]);
	}
	free(ents);
	return rc;
}

bool
mustache_has(const struct mustache *m, const char *name)
{
	return find(m, name) != NULL;
}

void
mustache_free(struct mustache *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		tmpl_free(m->t[i]);
	free(m->t);
	free(m);
}

/*
 * Resolves a name of parts parts (0: ".") against the context stack: the
 * first part in the nearest object that has it, the rest each in the one
 * before.  Borrowed, or NULL when missing.
 */
static json_t *
lookup(const struct ctx *c, const char *name, size_t parts)
{
	json_t	*v = NULL;

	if (parts == 0)
		return c != NULL ? c->v : NULL;
	for (; c != NULL && v == NULL; c = c->up)
		if (json_is_object(c->v))
			v = json_object_get(c->v, name);
	while (v != NULL && --parts > 0) {
		name += strlen(name) + 1;
		v = json_object_get(v, name);
	}
	return v;
}

/*
 * Falsy, as JavaScript's !!v: missing, null, false, 0, 0.0, "" and [].
 * Every object, even {}, is truthy.
 */
static bool
truthy(const json_t *v)
{
	if (v == NULL)
		return false;
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_OBJECT:
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

/* Appends s with & < > " ' as HTML entities. */
static void
put_escaped(struct buf *out, const char *s, size_t n)
{
	size_t		 i, run = 0;
	const char	*ent;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			ent = "&amp;";
			break;
		case '<':
			ent = "&lt;";
			break;
		case '>':
			ent = "&gt;";
			break;
		case '"':
			ent = "&quot;";
			break;
		case '\'':
			ent = "&#39;";
			break;
		default:
			continue;
		}
		buf_add(out, s + run, i - run);
		buf_adds(out, ent);
		run = i + 1;
	}
	buf_add(out, s + run, n - run);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as d: 1.21. */
static void
put_real(struct buf *out, double d)
{
	char	 tmp[40];
	int	 prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
	buf_adds(out, tmp);
}

/* Appends a scalar; null, missing, arrays and objects print nothing. */
static void
put_value(struct buf *out, const json_t *v, bool escape)
{
	char	 tmp[32];

	if (v == NULL)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (escape)
			put_escaped(out, json_string_value(v),
			    json_string_length(v));
		else
			buf_add(out, json_string_value(v),
			    json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		buf_adds(out, tmp);
		break;
	case JSON_REAL:
		put_real(out, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_adds(out, "true");
		break;
	case JSON_FALSE:
		buf_adds(out, "false");
		break;
	default:
		break;
	}
}

/* Appends the indentation in force, outermost first. */
static void
put_indent(struct buf *out, const struct ind *in)
{
	if (in == NULL)
		return;
	put_indent(out, in->up);
	buf_add(out, in->s, in->len);
}

/* A section: its body once per list item, or once for another truthy. */
static void
render_section(struct render *r, const struct tmpl *t, size_t i,
    const struct env *env)
{
	const struct op	*op = &t->ops[i];
	json_t		*v, *item;
	struct ctx	 c;
	struct env	 e = *env;
	size_t		 k;

	v = lookup(env->ctx, t->str.p + op->str, op->len);
	if (!truthy(v) || env->depth >= MUSTACHE_MAX_DEPTH)
		return;
	e.ctx = &c;
	e.depth++;
	c.up = env->ctx;
	if (!json_is_array(v)) {
		c.v = v;
		render_ops(r, t, i + 1, op->end, &e);
		return;
	}
	json_array_foreach(v, k, item) {
		c.v = item;
		render_ops(r, t, i + 1, op->end, &e);
	}
}

/*
 * A partial or a parent: the named template against the same context.
 * Standing alone, it is indented by the blanks before it; inline, by
 * nothing.  A parent's argument blocks join the block scope.
 */
static void
render_include(struct render *r, const struct tmpl *t, size_t i,
    const struct env *env)
{
	const struct op		*op = &t->ops[i];
	const struct tmpl	*p;
	struct ind		 in;
	struct scope		 sc;
	struct env		 e = *env;

	if (env->depth >= MUSTACHE_MAX_DEPTH ||
	    (p = find(r->m, t->str.p + op->str)) == NULL)
		return;
	e.depth++;
	e.ind = NULL;
	if (op->standalone) {
		in.s = t->str.p + op->ind;
		in.len = op->indlen;
		in.up = env->ind;
		e.ind = &in;
	}
	if (op->type == OP_PARENT) {
		sc.t = t;
		sc.op = i;
		sc.up = env->scope;
		e.scope = &sc;
	}
	render_ops(r, p, 0, p->nops, &e);
}

/* The argument block called name of the parent op at pi, or 0. */
static size_t
find_arg(const struct tmpl *t, size_t pi, const char *name)
{
	size_t	 j;

	for (j = pi + 1; j < t->ops[pi].end; j = t->ops[j].end)
		if (t->ops[j].type == OP_BLOCK &&
		    strcmp(t->str.p + t->ops[j].str, name) == 0)
			return j;
	return 0;
}

/*
 * A block: the outermost parent that passes an argument of its name wins,
 * else its default content.  Standing alone it indents every line.
 */
static void
render_block(struct render *r, const struct tmpl *t, size_t i,
    const struct env *env)
{
	const struct op		*op = &t->ops[i];
	const struct tmpl	*bt = t;
	const struct scope	*sc;
	size_t			 bi = i, j;
	struct ind		 in;
	struct env		 e = *env;

	if (env->depth >= MUSTACHE_MAX_DEPTH)
		return;
	for (sc = env->scope; sc != NULL; sc = sc->up)
		if ((j = find_arg(sc->t, sc->op, t->str.p + op->str)) != 0) {
			bt = sc->t;
			bi = j;
		}
	e.depth++;
	if (op->standalone) {
		in.s = t->str.p + op->ind;
		in.len = op->indlen;
		in.up = env->ind;
		e.ind = &in;
		if (bt->ops[bi].midline)
			put_indent(r->out, &in);
	}
	render_ops(r, bt, bi + 1, bt->ops[bi].end, &e);
}

/*
 * What op costs against the step limit: one, plus a byte each for the
 * name a lookup hashes (up the whole context stack when it misses), so
 * long names repeated by nested lists cannot run long either.
 */
static size_t
op_cost(const struct tmpl *t, const struct op *op)
{
	const char	*name = t->str.p + op->str;
	size_t		 cost = 1, n, k;

	if (op->type != OP_VAR && op->type != OP_RAW &&
	    op->type != OP_SECTION && op->type != OP_INVERTED)
		return cost;
	for (k = 0; k < op->len; k++) {
		n = strlen(name);
		cost += n;
		name += n + 1;
	}
	return cost;
}

/* Renders ops [i, end) of t. */
static void
render_ops(struct render *r, const struct tmpl *t, size_t i, size_t end,
    const struct env *env)
{
	const struct op	*op;
	struct env	 e;
	size_t		 cost;

	/* A leaf op's end is i + 1; a body's skips the body. */
	for (; i < end; i = op->end) {
		op = &t->ops[i];
		if (r->over || r->out->len > r->limit ||
		    (cost = op_cost(t, op)) > r->steps) {
			r->over = true;
			return;
		}
		r->steps -= cost;
		switch (op->type) {
		case OP_TEXT:
			buf_add(r->out, t->str.p + op->str, op->len);
			break;
		case OP_INDENT:
			put_indent(r->out, env->ind);
			break;
		case OP_VAR:
		case OP_RAW:
			put_value(r->out, lookup(env->ctx, t->str.p + op->str,
			    op->len), op->type == OP_VAR);
			break;
		case OP_SECTION:
			render_section(r, t, i, env);
			break;
		case OP_INVERTED:
			if (truthy(lookup(env->ctx, t->str.p + op->str,
			    op->len)) || env->depth >= MUSTACHE_MAX_DEPTH)
				break;
			e = *env;
			e.depth++;
			render_ops(r, t, i + 1, op->end, &e);
			break;
		case OP_PARTIAL:
		case OP_PARENT:
			render_include(r, t, i, env);
			break;
		case OP_BLOCK:
			render_block(r, t, i, env);
			break;
		}
	}
}

int
mustache_render(const struct mustache *m, const char *name, json_t *data,
    struct buf *out)
{
	const struct tmpl	*t;
	struct render		 r;
	struct ctx		 c;
	struct env		 e;
	size_t			 start;

	if ((t = find(m, name)) == NULL)
		return -1;
	r.m = m;
	r.out = out;
	r.steps = MUSTACHE_MAX_STEPS;
	r.limit = out->len + MUSTACHE_MAX_OUTPUT;
	r.over = false;
	start = out->len;
	c.v = data;
	c.up = NULL;
	e.ctx = &c;
	e.ind = NULL;
	e.scope = NULL;
	e.depth = 0;
	render_ops(&r, t, 0, t->nops, &e);
	/* The last op is not followed by a check: look once more. */
	if (r.over || out->len > r.limit) {
		out->len = start;
		if (out->p != NULL)
			out->p[start] = '\0';
		return -1;
	}
	if (out->p == NULL)
		buf_add(out, "", 0);
	return 0;
}
