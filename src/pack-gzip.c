/*
 * pack-gzip.c: see pack-gzip.h.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "pack-gzip.h"
#include "util.h"

struct piece {
	unsigned char	*in, *out;
	size_t		 inlen, outlen, outcap;
	int		 level;
	bool		 ok;
};

struct gzpar {
	FILE		*f;
	EVP_MD_CTX	*md;
	int64_t		 bytes;
	bool		 failed;
	struct piece	 p[2];
	int		 cur;		/* the piece being filled */
	int		 pending;	/* the helper's piece, when running */
	bool		 running;
	pthread_t	 helper;
};

/* One piece as one gzip member (no name, no time). */
static void
compress_piece(struct piece *p)
{
	z_stream	 z;
	size_t		 bound;

	memset(&z, 0, sizeof(z));
	p->ok = false;
	if (deflateInit2(&z, p->level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return;
	bound = deflateBound(&z, (uLong)p->inlen) + 64;
	if (bound > p->outcap) {
		p->out = xrealloc(p->out, bound);
		p->outcap = bound;
	}
	z.next_in = p->in;
	z.avail_in = (uInt)p->inlen;
	z.next_out = p->out;
	z.avail_out = (uInt)p->outcap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
		p->outlen = z.total_out;
		p->ok = true;
	}
	deflateEnd(&z);
}

static void *
helper_main(void *arg)
{
	compress_piece(arg);
	return NULL;
}

static void
emit(struct gzpar *g, struct piece *p)
{
	if (!p->ok)
		g->failed = true;
	if (g->failed)
		return;
	if (fwrite(p->out, 1, p->outlen, g->f) != p->outlen ||
	    EVP_DigestUpdate(g->md, p->out, p->outlen) != 1)
		g->failed = true;
	g->bytes += (int64_t)p->outlen;
}

/* The helper's piece and then the caller's, both compressed by now. */
static void
join_and_emit(struct gzpar *g, struct piece *mine)
{
	if (g->running) {
		pthread_join(g->helper, NULL);
		g->running = false;
		emit(g, &g->p[g->pending]);
		g->p[g->pending].inlen = 0;
	}
	if (mine != NULL) {
		emit(g, mine);
		mine->inlen = 0;
	}
}

/* The current piece is full: hand it to the helper, or compress it here. */
static void
piece_full(struct gzpar *g)
{
	struct piece	*p = &g->p[g->cur];

	if (!g->running) {
		if (pthread_create(&g->helper, NULL, helper_main, p) != 0) {
			compress_piece(p);
			emit(g, p);
			p->inlen = 0;
			return;
		}
		g->running = true;
		g->pending = g->cur;
		g->cur = 1 - g->cur;
		return;
	}
	compress_piece(p);
	join_and_emit(g, p);
}

struct gzpar *
gzpar_new(FILE *out, int level)
{
	struct gzpar	*g = xcalloc(1, sizeof(*g));
	int		 i;

	g->f = out;
	if ((g->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(g->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(g->md);
		free(g);
		return NULL;
	}
	for (i = 0; i < 2; i++) {
		g->p[i].in = xmalloc(GZPAR_CHUNK);
		g->p[i].level = level;
	}
	return g;
}

int
gzpar_write(struct gzpar *g, const void *buf, size_t n)
{
	const unsigned char	*s = buf;
	struct piece		*p;
	size_t			 k;

	while (n > 0 && !g->failed) {
		p = &g->p[g->cur];
		k = GZPAR_CHUNK - p->inlen;
		if (k > n)
			k = n;
		memcpy(p->in + p->inlen, s, k);
		p->inlen += k;
		s += k;
		n -= k;
		if (p->inlen == GZPAR_CHUNK)
			piece_full(g);
	}
	return g->failed ? -1 : 0;
}

int
gzpar_close(struct gzpar *g, unsigned char sha[32], int64_t *bytes)
{
	struct piece	*p = &g->p[g->cur];
	unsigned int	 n = 0;

	/* The last piece (an empty file is one empty member). */
	if (p->inlen > 0 || (g->bytes == 0 && !g->running)) {
		compress_piece(p);
		join_and_emit(g, p);
	} else
		join_and_emit(g, NULL);
	if (g->failed || EVP_DigestFinal_ex(g->md, sha, &n) != 1 || n != 32)
		return -1;
	*bytes = g->bytes;
	return 0;
}

void
gzpar_free(struct gzpar *g)
{
	int	 i;

	if (g == NULL)
		return;
	if (g->running)
		pthread_join(g->helper, NULL);
	for (i = 0; i < 2; i++) {
		free(g->p[i].in);
		free(g->p[i].out);
	}
	EVP_MD_CTX_free(g->md);
	free(g);
}
