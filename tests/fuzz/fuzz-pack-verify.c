/*
 * fuzz-pack-verify.c: 'orgaudit pack verify' on a file an outsider hands
 * over (src/pack.h).  The input describes an archive, entry by entry:
 *
 *	=== PATH LENGTH\n	then LENGTH bytes of content
 *
 * (a PATH ending in '/' is a directory).  The harness writes it as a
 * tar.gz in memory, as pack_make does, and verifies it twice: trusting
 * the key of the seed packs by its fingerprint, then trusting nothing,
 * which must never verify.  FUZZ_PACK_SHOW=1 prints the verifier's
 * report (to see what a reproducer does).
 */
#include <archive.h>
#include <archive_entry.h>

#include "fuzz.h"
#include "pack.h"
#include "util.h"

/* The signing key of the packs in the corpus (tests/fuzz/corpus/). */
#define SEED_FP	"e028ada722e12669ea60e086d98312e0c77332e88d73e6e8776965a6ac0d8d2f"

static la_ssize_t
on_write(struct archive *a, void *arg, const void *p, size_t n)
{
	(void)a;
	buf_add(arg, p, n);
	return (la_ssize_t)n;
}

/*
 * Reads the next "=== PATH LENGTH\n" and its content; false at the end
 * of the input or on a header that does not parse.
 */
static bool
next_entry(const uint8_t **data, size_t *size, char *path, size_t pathlen,
    const uint8_t **body, size_t *len)
{
	const uint8_t	*nl;
	char		 line[300], *sp;
	unsigned long	 n;

	if (*size < 4 || memcmp(*data, "=== ", 4) != 0 ||
	    (nl = memchr(*data, '\n', *size)) == NULL ||
	    (size_t)(nl - *data) >= sizeof(line))
		return false;
	memcpy(line, *data + 4, (size_t)(nl - *data) - 4);
	line[nl - *data - 4] = '\0';
	if ((sp = strrchr(line, ' ')) == NULL)
		return false;
	*sp = '\0';
	n = strtoul(sp + 1, NULL, 10);
	snprintf(path, pathlen, "%s", line);
	*size -= (size_t)(nl + 1 - *data);
	*data = nl + 1;
	*len = n < *size ? n : *size;
	*body = *data;
	*data += *len;
	*size -= *len;
	return true;
}

/* The archive the input describes, as a tar.gz in out. */
static void
make_archive(const uint8_t *data, size_t size, struct buf *out)
{
	struct archive		*a = archive_write_new();
	struct archive_entry	*e = archive_entry_new();
	const uint8_t		*body;
	char			 path[300];
	size_t			 len;

	archive_write_add_filter_gzip(a);
	archive_write_set_format_ustar(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, out, NULL, on_write, NULL);
	while (next_entry(&data, &size, path, sizeof(path), &body, &len)) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, path);
		archive_entry_set_mtime(e, 1764633600, 0);
		if (path[0] != '\0' && path[strlen(path) - 1] == '/') {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			archive_write_header(a, e);
			continue;
		}
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		if (archive_write_header(a, e) == ARCHIVE_OK && len > 0)
			archive_write_data(a, body, len);
	}
	archive_write_close(a);
	archive_write_free(a);
	archive_entry_free(e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE			*devnull;
	struct pack_verify_opts		 trusted = { .fingerprint = SEED_FP,
					    .max_bytes = 16 << 20 };
	struct pack_verify_opts		 none = { .max_bytes = 16 << 20 };
	struct buf			 tgz = { 0 };
	char				 path[64];
	int				 fd, rc;

	if (devnull == NULL && (devnull = getenv("FUZZ_PACK_SHOW") != NULL ?
	    stderr : fopen("/dev/null", "w")) == NULL)
		abort();
	make_archive(data, size, &tgz);
	fd = fuzz_file(tgz.p, tgz.len, path, sizeof(path));
	rc = pack_verify(path, &trusted, devnull);
	FUZZ_ASSERT(rc >= -1 && rc <= 1);
	rc = pack_verify(path, &none, devnull);
	FUZZ_ASSERT(rc == -1 || rc == 1);
	close(fd);
	buf_free(&tgz);
	return 0;
}
