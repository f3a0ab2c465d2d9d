/*
 * passwd.h: dashboard passwords, hashed with Argon2id (libargon2) at
 * OWASP's recommended strength: 64 MiB of memory, 3 passes, 1 lane, a
 * 16-byte random salt, a 32-byte tag, in the standard encoded form
 * ("$argon2id$v=19$m=65536,t=3,p=1$…"), which carries its own
 * parameters so they can be raised later without breaking old hashes.
 */
#ifndef ORGAUDIT_PASSWD_H
#define ORGAUDIT_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWD_MIN_LEN		12
#define PASSWD_MAX_LEN		256
#define PASSWD_ENCODED_MAX	128

/*
 * Makes the hash a missing account is checked against, so that the first
 * sign-in with an unknown login costs what any other does (one
 * verification, not a hash and a verification).  Call at start-up; 0 or
 * -1.
 */
int		 passwd_init(void);
/* NULL when pw is acceptable as a new password, else why not. */
const char	*passwd_refusal(const char *pw);
/* Hashes pw into out (PASSWD_ENCODED_MAX bytes).  0 or -1. */
int		 passwd_hash(const char *pw, char out[PASSWD_ENCODED_MAX]);
/*
 * Does pw match encoded?  With encoded NULL (no such account) it still
 * spends the time of one verification, so timing does not tell whether
 * an account exists, and answers false.
 */
bool		 passwd_verify(const char *encoded, const char *pw);

#endif
