/*
 * pack-gzip.h: gzip on two cores.  The input is cut into GZPAR_CHUNK-byte
 * pieces, each compressed as its own gzip member (RFC 1952 allows a file
 * of several; gzip, tar and libarchive read them as one stream), two at a
 * time: the caller's thread and one helper.  Members are written in
 * order and hashed as they go.  The same input gives the same bytes: the
 * cuts are fixed and no member carries a time or a name.  Memory: two
 * pieces and their compressed forms.
 */
#ifndef ORGAUDIT_PACK_GZIP_H
#define ORGAUDIT_PACK_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GZPAR_CHUNK	(4u * 1024 * 1024)

struct gzpar;

/* Compresses into out (level 1-9); NULL when memory or zlib fails. */
struct gzpar	*gzpar_new(FILE *out, int level);
/* 0, or -1 once compressing or writing has failed. */
int		 gzpar_write(struct gzpar *g, const void *p, size_t n);
/* Ends the stream: the file's SHA-256 and size.  0 or -1. */
int		 gzpar_close(struct gzpar *g, unsigned char sha[32],
		    int64_t *bytes);
/* Frees g (waiting for its helper, if any). */
void		 gzpar_free(struct gzpar *g);

#endif
