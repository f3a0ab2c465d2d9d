/*
 * test-pack-gzip.c: unit tests for src/pack-gzip.h: what it writes inflates back
 * to the input (every member in turn), at the edges of its pieces, and
 * the same input gives the same bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>
#include <zlib.h>

#include "pack-gzip.h"

/* Compresses in, written in odd-sized calls; returns the file's bytes. */
static unsigned char *
squeeze(const unsigned char *in, size_t n, size_t *outlen,
    unsigned char sha[32])
{
	struct gzpar	*g;
	char		*buf = NULL;
	size_t		 len = 0, off = 0, step = 1;
	int64_t		 bytes = 0;
	FILE		*f;

	assert_non_null(f = open_memstream(&buf, &len));
	assert_non_null(g = gzpar_new(f, 6));
	while (off < n) {
		size_t	 k = step < n - off ? step : n - off;

		assert_int_equal(gzpar_write(g, in + off, k), 0);
		off += k;
		step = step * 3 + 7;
	}
	assert_int_equal(gzpar_close(g, sha, &bytes), 0);
	gzpar_free(g);
	fclose(f);
	assert_int_equal((size_t)bytes, len);
	*outlen = len;
	return (unsigned char *)buf;
}

/* Inflates every gzip member of in, one after another. */
static unsigned char *
unsqueeze(const unsigned char *in, size_t n, size_t cap, size_t *outlen,
    int *members)
{
	unsigned char	*out = malloc(cap + 1);
	z_stream	 z;
	size_t		 used = 0;
	int		 rc;

	*members = 0;
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)n;
	while (z.avail_in > 0) {
		z.next_out = out + used;
		z.avail_out = (uInt)(cap + 1 - used);
		rc = inflate(&z, Z_NO_FLUSH);
		used = cap + 1 - z.avail_out;
		assert_true(rc == Z_OK || rc == Z_STREAM_END);
		if (rc == Z_STREAM_END) {
			(*members)++;
			assert_int_equal(inflateReset(&z), Z_OK);
		}
	}
	inflateEnd(&z);
	*outlen = used;
	return out;
}

static void
round_trip(size_t n, int want_members)
{
	unsigned char	*in = malloc(n ? n : 1), *gz, *back, sha[32], s2[32];
	unsigned char	 file_sha[32];
	size_t		 i, gzlen, backlen, gz2len;
	int		 members;

	/* Text-like and random-like parts, as a pack's files are. */
	for (i = 0; i < n; i++)
		in[i] = (i / 4096) % 2 ? (unsigned char)(i * 2654435761u >> 13) :
		    (unsigned char)"{\"seq\":1,\"hash\":\"ab\"}\n"[i % 23];
	gz = squeeze(in, n, &gzlen, sha);
	SHA256(gz, gzlen, file_sha);
	assert_memory_equal(sha, file_sha, 32);
	back = unsqueeze(gz, gzlen, n, &backlen, &members);
	assert_int_equal(backlen, n);
	assert_true(n == 0 || memcmp(back, in, n) == 0);
	assert_int_equal(members, want_members);
	/* No time in the headers: the same input, the same bytes. */
	free(squeeze(in, n, &gz2len, s2));
	assert_memory_equal(sha, s2, 32);
	assert_int_equal(gz[4] | gz[5] | gz[6] | gz[7], 0);
	free(in);
	free(gz);
	free(back);
}

static void
test_empty_is_one_member(void **state)
{
	(void)state;
	round_trip(0, 1);
}

static void
test_small(void **state)
{
	(void)state;
	round_trip(1, 1);
	round_trip(100000, 1);
}

static void
test_piece_edges(void **state)
{
	(void)state;
	round_trip(GZPAR_CHUNK - 1, 1);
	round_trip(GZPAR_CHUNK, 1);
	round_trip(GZPAR_CHUNK + 1, 2);
	round_trip(2 * GZPAR_CHUNK, 2);
	round_trip(3 * GZPAR_CHUNK + GZPAR_CHUNK / 2, 4);
	round_trip(5 * GZPAR_CHUNK, 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_one_member),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_piece_edges),
	};

	return cmocka_run_group_tests_name("gzpar", tests, NULL, NULL);
}
