/*
 * passwd.c: see passwd.h.
 */
#include <string.h>

#include <argon2.h>

#include "passwd.h"
#include "util.h"

#define T_COST		3
#define M_COST		65536	/* KiB */
#define PARALLELISM	1
#define SALT_LEN	16
#define TAG_LEN		32

const char *
passwd_refusal(const char *pw)
{
	size_t	 n = strlen(pw), i;

	if (n < PASSWD_MIN_LEN)
		return "a password has at least 12 characters";
	if (n > PASSWD_MAX_LEN)
		return "a password has at most 256 characters";
	for (i = 0; i < n; i++)
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
			return "a password has no control characters";
	return NULL;
}

int
passwd_hash(const char *pw, char out[PASSWD_ENCODED_MAX])
{
	unsigned char	 salt[SALT_LEN];
	int		 rc;

	if (rand_bytes(salt, sizeof(salt)) != 0)
		return -1;
	rc = argon2id_hash_encoded(T_COST, M_COST, PARALLELISM, pw, strlen(pw),
	    salt, sizeof(salt), TAG_LEN, out, PASSWD_ENCODED_MAX);
	return rc == ARGON2_OK ? 0 : -1;
}

/* A hash of a fixed password, verified against for missing accounts. */
static char	 dummy[PASSWD_ENCODED_MAX];

int
passwd_init(void)
{
	return dummy[0] != '\0' ? 0 : passwd_hash("orgaudit: no such account",
	    dummy);
}

bool
passwd_verify(const char *encoded, const char *pw)
{
	bool		 ok;

	if (encoded == NULL) {
		if (passwd_init() != 0)
			return false;
		argon2id_verify(dummy, pw, strlen(pw));
		return false;
	}
	if (strncmp(encoded, "$argon2id$", 10) != 0)
		return false;
	ok = argon2id_verify(encoded, pw, strlen(pw)) == ARGON2_OK;
	return ok;
}
