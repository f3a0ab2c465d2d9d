/*
 * fuzz.h: what the libFuzzer harnesses share.  Each harness,
 * tests/fuzz/fuzz-NAME.c, drives one parser of src/ through its real
 * functions (it links build/fuzz/liborgaudit.a) and checks what the
 * parser promises beyond not crashing; a broken promise is abort().
 */
#ifndef ORGAUDIT_FUZZ_H
#define ORGAUDIT_FUZZ_H

#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the broken promise when cond is false. */
#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: broken promise: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of [p, p+n): free() it. */
static inline char *
fuzz_cstr(const uint8_t *p, size_t n)
{
	char	*s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/*
 * Splits the input at its first byte sep: *head gets a NUL-terminated
 * copy of what comes before (free() it), data and size are moved past
 * it.  Without sep, head is all of it and nothing is left.
 */
static inline char *
fuzz_take(const uint8_t **data, size_t *size, int sep)
{
	const uint8_t	*e = memchr(*data, sep, *size);
	size_t		 n = e != NULL ? (size_t)(e - *data) : *size;
	char		*head = fuzz_cstr(*data, n);

	*data += n + (e != NULL);
	*size -= n + (e != NULL);
	return head;
}

/*
 * An anonymous in-memory file holding [p, p+n), for parsers that read a
 * path: its path, "/proc/self/fd/N", goes into path.  Returns the
 * descriptor (close() it), or aborts.
 */
static inline int
fuzz_file(const void *p, size_t n, char *path, size_t pathlen)
{
	int	 fd = memfd_create("fuzz", 0);

	if (fd < 0 || (n > 0 && write(fd, p, n) != (ssize_t)n))
		abort();
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	return fd;
}

/* A byte of an email address's local part, as src/redact.c has it. */
static inline int
fuzz_local_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* A byte of a key-like token ("sk-..."), as src/redact.c has it. */
static inline int
fuzz_key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * Does scrubbed text [s, s+n) still hold what redaction removes: an
 * address ("x@y"), or a key-like token longer than a redacted one (the
 * longest prefix, "sk-svcacct-", then the ellipsis)?
 */
static inline int
fuzz_leaks(const char *s, size_t n)
{
	size_t	 i, e;

	for (i = 0; i < n; i++) {
		if (s[i] == '@' && i > 0 && i + 1 < n &&
		    fuzz_local_char((unsigned char)s[i - 1]) &&
		    (fuzz_key_char((unsigned char)s[i + 1]) || s[i + 1] == '.') &&
		    s[i + 1] != '_')
			return 1;
		if (n - i < 3 || memcmp(s + i, "sk-", 3) != 0 ||
		    (i > 0 && fuzz_key_char((unsigned char)s[i - 1])))
			continue;
		for (e = i; e < n && (fuzz_key_char((unsigned char)s[e]) ||
		    s[e] == '*' || s[e] == '.'); e++)
			;
		while (e > i + 3 && s[e - 1] == '.')
			e--;	/* a sentence's full stop */
		if (e - i > 11)
			return 1;
	}
	return 0;
}

#endif
