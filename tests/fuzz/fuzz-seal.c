/*
 * fuzz-seal.c: sealed blobs as they come back from the database
 * (src/seal.h).  The input, taken as a blob, opens under neither a
 * version 1 key nor a version 2 private key (nobody can forge one);
 * taken as plaintext, it seals and opens back to itself both ways, and
 * a sealed blob with any one byte changed opens no more.
 */
#include "fuzz.h"
#include "seal.h"
#include "util.h"

static void
round_trip(const struct seal_key *key, const unsigned char *priv,
    const unsigned char *pub, const struct buf *aad, const uint8_t *data,
    size_t size)
{
	struct buf	 blob = { 0 }, pt = { 0 };
	int		 v;

	for (v = 1; v <= 2; v++) {
		buf_reset(&blob);
		buf_reset(&pt);
		if (v == 1)
			FUZZ_ASSERT(seal(key, aad, data, size, &blob) == 0);
		else
			FUZZ_ASSERT(seal_to(pub, aad, data, size, &blob) == 0);
		FUZZ_ASSERT((v == 1 ? seal_open(key, aad, blob.p, blob.len,
		    &pt) : seal_open_with(priv, aad, blob.p, blob.len, &pt)) == 0);
		FUZZ_ASSERT(pt.len == size && (size == 0 ||
		    memcmp(pt.p, data, size) == 0));
		/* One byte changed, chosen by the input. */
		blob.p[(size > 0 ? data[0] : 0) % blob.len] ^= 0x01;
		buf_reset(&pt);
		FUZZ_ASSERT((v == 1 ? seal_open(key, aad, blob.p, blob.len,
		    &pt) : seal_open_with(priv, aad, blob.p, blob.len, &pt)) != 0);
	}
	buf_free(&blob);
	buf_free(&pt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char	 priv[SEAL_X25519_LEN], pub[SEAL_X25519_LEN];
	struct seal_key		 key;
	struct buf		 aad = { 0 }, pt = { 0 };

	memset(&key, 0, sizeof(key));
	memset(key.k, 0x5a, sizeof(key.k));
	if (pub[0] == 0 && (memset(priv, 0x33, sizeof(priv)),
	    seal_public_of(priv, pub) != 0))
		abort();
	seal_aad(&aad, 1, 2, SEAL_PURPOSE_ADMIN_KEY);
	FUZZ_ASSERT(seal_open(&key, &aad, data, size, &pt) != 0);
	FUZZ_ASSERT(seal_open_with(priv, &aad, data, size, &pt) != 0);
	FUZZ_ASSERT(pt.len == 0);
	round_trip(&key, priv, pub, &aad, data, size);
	buf_free(&aad);
	buf_free(&pt);
	return 0;
}
