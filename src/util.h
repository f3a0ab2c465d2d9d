/*
 * util.h: allocation that never returns NULL, a growable byte buffer,
 * hex and base64url codecs, time helpers and secret wiping.
 */
#ifndef ORGAUDIT_UTIL_H
#define ORGAUDIT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* Allocation wrappers: on exhaustion they log and abort, never return NULL. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t sz);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
char	*xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* A copy of a base URL without its trailing slashes. */
char	*url_base(const char *url);
/*
 * Room for one more element in array p of *cap elements of size sz that
 * holds n: when full, *cap doubles (or becomes first).  Returns the array.
 */
void	*xgrow(void *p, size_t n, size_t *cap, size_t sz, size_t first);

/*
 * A growable byte buffer.  'p' is always NUL-terminated once anything was
 * added (the NUL is not counted in 'len').  Owned by whoever declared it;
 * release with buf_free().
 */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	 buf_add(struct buf *b, const void *p, size_t n);
void	 buf_adds(struct buf *b, const char *s);
void	 buf_addc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void	 buf_reset(struct buf *b);
/* Wipes the contents before freeing: safe for buffers that held secrets. */
void	 buf_free(struct buf *b);
/* Hands the bytes to the caller (free() them); the buffer becomes empty. */
char	*buf_take(struct buf *b);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void	 hex_encode(const unsigned char *in, size_t n, char *out);
/* The value of one hex digit, or -1. */
int	 hex_digit(int c);
/* Returns the number of bytes decoded, or -1 on bad input or overflow. */
long	 hex_decode(const char *in, unsigned char *out, size_t outcap);

/* base64url without padding.  out needs 4*ceil(n/3)+1 bytes. */
void	 b64url_encode(const unsigned char *in, size_t n, char *out);
/* Returns bytes decoded or -1 on bad input or when out is too small. */
long	 b64url_decode(const char *in, size_t len, unsigned char *out,
	    size_t outcap);

/* Fills p with n bytes from the OpenSSL CSPRNG; returns 0 or -1. */
int	 rand_bytes(void *p, size_t n);
/* Wipes n bytes in a way the compiler does not drop. */
void	 wipe(void *p, size_t n);

/* Wall clock in Unix seconds / milliseconds, monotonic milliseconds. */
int64_t	 now_s(void);
int64_t	 now_ms(void);
int64_t	 mono_ms(void);

/* Formats a Unix time as "2026-11-23T18:57:00Z" into out (21 bytes). */
void	 fmt_rfc3339(int64_t t, char out[21]);
/* t's UTC day as YYYY-MM-DD into out. */
void	 fmt_day(int64_t t, char out[11]);

/* Strict decimal parse of a whole string into [min,max]; 0 or -1. */
int	 parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Reads a whole small file (at most maxlen bytes) into a buffer. */
int	 file_read(const char *path, size_t maxlen, struct buf *out);

/* out = SHA-256(a || b); b may be empty.  Aborts if OpenSSL cannot. */
void	 sha256_2(const void *a, size_t alen, const void *b, size_t blen,
	    unsigned char out[32]);

/*
 * Prints s for a terminal in a column of width characters (padded, or
 * cut with an ellipsis): control and bidi characters become '?'.
 */
void	 term_put(FILE *f, const char *s, size_t width);

#endif
