/* sig.h -- digests, HMAC and constant-time hex comparison (the only OpenSSL user). */
#ifndef SIG_H
#define SIG_H

#include <stddef.h>

#define SIG_MD5_HEX	32
#define SIG_SHA256_HEX	64

/* Fetch the algorithms once; call before threads start.  0 or -1. */
int	sig_init(void);
void	sig_free(void);

/* Lower-case hex digests, NUL-terminated.  0 or -1 (library failure). */
int	sig_md5_hex(const void *data, size_t len, char out[SIG_MD5_HEX + 1]);
int	sig_sha256_hex(const void *data, size_t len, char out[SIG_SHA256_HEX + 1]);
int	sig_hmac_sha256_hex(const void *key, size_t keylen,
	    const void *data, size_t len, char out[SIG_SHA256_HEX + 1]);
/*
 * sig_sha256_hex() of a configured secret, remembered by the calling
 * thread for the next call with the same secret.  0 or -1.
 */
int	sig_secret_sha256_hex(const void *key, size_t keylen,
	    char out[SIG_SHA256_HEX + 1]);

/*
 * Compare the hex digest we computed (lower case, NUL-terminated) with
 * the one the vendor sent (len bytes, any case).  Lengths must match;
 * the bytes are compared in constant time.  Returns 1 when equal.
 */
int	sig_hex_equal(const char *computed, const char *given, size_t givenlen);

#endif
