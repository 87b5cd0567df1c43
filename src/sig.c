/* sig.c -- MD5, SHA-256 and HMAC-SHA256 as hex, constant-time hex comparison (the only OpenSSL user). */
/*
 * OpenSSL 3 only through EVP.  The one-shot HMAC() and EVP_Q_digest()
 * fetch the algorithm on every call (SPEC section 9); here the
 * algorithms are fetched once in sig_init() and shared by every thread
 * (fetched EVP_MD and EVP_MAC objects are immutable and reference
 * counted).  Contexts are per thread: created on a thread's first call,
 * re-initialised for each digest, freed when the thread exits (a
 * pthread key destructor) or, for the calling thread, by sig_free().
 */
#include "autoconfig.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "log.h"
#include "sig.h"

/* Longest hex digest sig_hex_equal() compares. */
#define SIG_HEX_MAX	128

/* Keys a thread remembers: rotation's two keys, huawei's two readings. */
#define SIG_SLOTS	4

/*
 * A key a thread remembers, with what it costs to derive from it: a
 * keyed HMAC context (mac[]) or a secret's SHA-256 (secret[]).  The copy
 * of the key is compared in constant time and cleansed when replaced.
 */
struct sig_slot {
	unsigned char	*key;		/* a copy of the key, or NULL */
	size_t		 keylen;
	unsigned long	 used;		/* when last used, for replacing */
	EVP_MAC_CTX	*ctx;		/* mac[]: keyed with key */
	char		 hex[SIG_SHA256_HEX + 1];	/* secret[]: its SHA-256 */
};

struct sig_tls {
	EVP_MD_CTX	*md;
	struct sig_slot	 mac[SIG_SLOTS];
	struct sig_slot	 secret[SIG_SLOTS];
	unsigned long	 clock;
};

static EVP_MD		*sig_md5;
static EVP_MD		*sig_sha256;
static EVP_MAC		*sig_hmac;
static pthread_key_t	 sig_key;
static int		 sig_ready;

static void
sig_tls_free(void *p)
{
	struct sig_tls	*t = p;
	size_t		 i;

	if (t == NULL)
		return;
	EVP_MD_CTX_free(t->md);
	for (i = 0; i < SIG_SLOTS; i++) {
		EVP_MAC_CTX_free(t->mac[i].ctx);
		OPENSSL_clear_free(t->mac[i].key, t->mac[i].keylen);
		OPENSSL_clear_free(t->secret[i].key, t->secret[i].keylen);
	}
	OPENSSL_clear_free(t, sizeof(*t));
}

int
sig_init(void)
{
	if (sig_ready)
		return 0;
	sig_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	sig_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	sig_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (sig_md5 == NULL || sig_sha256 == NULL || sig_hmac == NULL) {
		log_warnx("sig: init: cannot fetch MD5, SHA256 or HMAC from OpenSSL");
		goto fail;
	}
	if (pthread_key_create(&sig_key, sig_tls_free) != 0) {
		log_warnx("sig: init: pthread_key_create failed");
		goto fail;
	}
	sig_ready = 1;
	return 0;
fail:
	EVP_MD_free(sig_md5);
	EVP_MD_free(sig_sha256);
	EVP_MAC_free(sig_hmac);
	sig_md5 = sig_sha256 = NULL;
	sig_hmac = NULL;
	return -1;
}

/* Frees the algorithms and the calling thread's contexts. */
void
sig_free(void)
{
	if (!sig_ready)
		return;
	sig_tls_free(pthread_getspecific(sig_key));
	pthread_setspecific(sig_key, NULL);
	pthread_key_delete(sig_key);
	EVP_MD_free(sig_md5);
	EVP_MD_free(sig_sha256);
	EVP_MAC_free(sig_hmac);
	sig_md5 = sig_sha256 = NULL;
	sig_hmac = NULL;
	sig_ready = 0;
}

/*
 * The calling thread's contexts, created on first use: the HMAC
 * context gets its digest once here, so later calls only re-key it.
 * NULL on failure (logged).
 */
static struct sig_tls *
sig_tls_get(void)
{
	struct sig_tls	*t;
	OSSL_PARAM	 params[2];
	char		 digest[] = "SHA256";
	size_t		 i;

	if (!sig_ready) {
		log_warnx("sig: used before sig_init");
		return NULL;
	}
	if ((t = pthread_getspecific(sig_key)) != NULL)
		return t;
	if ((t = OPENSSL_zalloc(sizeof(*t))) == NULL)
		goto fail;
	if ((t->md = EVP_MD_CTX_new()) == NULL)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	for (i = 0; i < SIG_SLOTS; i++)
		if ((t->mac[i].ctx = EVP_MAC_CTX_new(sig_hmac)) == NULL ||
		    !EVP_MAC_CTX_set_params(t->mac[i].ctx, params))
			goto fail;
	if (pthread_setspecific(sig_key, t) != 0)
		goto fail;
	return t;
fail:
	log_warnx("sig: cannot create digest contexts");
	sig_tls_free(t);
	return NULL;
}

static void
sig_hex(const unsigned char *md, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

/* Digest len bytes with md into out as hex (2 * mdlen + 1 bytes). */
static int
sig_digest_hex(const EVP_MD *md, size_t mdlen, const void *data, size_t len,
    char *out)
{
	struct sig_tls	*t;
	unsigned char	 raw[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	out[0] = '\0';
	if ((t = sig_tls_get()) == NULL)
		return -1;
	if (!EVP_DigestInit_ex2(t->md, md, NULL) ||
	    !EVP_DigestUpdate(t->md, data, len) ||
	    !EVP_DigestFinal_ex(t->md, raw, &n) || n != mdlen) {
		log_warnx("sig: digest failed");
		return -1;
	}
	sig_hex(raw, n, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int
sig_md5_hex(const void *data, size_t len, char out[SIG_MD5_HEX + 1])
{
	return sig_digest_hex(sig_md5, SIG_MD5_HEX / 2, data, len, out);
}

int
sig_sha256_hex(const void *data, size_t len, char out[SIG_SHA256_HEX + 1])
{
	return sig_digest_hex(sig_sha256, SIG_SHA256_HEX / 2, data, len, out);
}

/*
 * The slot of slots (SIG_SLOTS of them) that holds key: 1.  Else 0, and
 * the slot used least recently, its key forgotten, for the caller to
 * fill and then sig_slot_keep().  Either is marked used now.
 */
static int
sig_slot_find(struct sig_tls *t, struct sig_slot *slots, const void *key,
    size_t keylen, struct sig_slot **out)
{
	struct sig_slot	*sl, *old = &slots[0];
	size_t		 i;

	t->clock++;
	for (i = 0; i < SIG_SLOTS; i++) {
		sl = &slots[i];
		if (sl->key != NULL && sl->keylen == keylen &&
		    CRYPTO_memcmp(sl->key, key, keylen) == 0) {
			sl->used = t->clock;
			*out = sl;
			return 1;
		}
		if (sl->used < old->used)
			old = sl;
	}
	OPENSSL_clear_free(old->key, old->keylen);
	old->key = NULL;
	old->keylen = 0;
	old->used = t->clock;
	*out = old;
	return 0;
}

/* Remember key in sl; without the copy it is simply derived again next time. */
static void
sig_slot_keep(struct sig_slot *sl, const void *key, size_t keylen)
{
	if ((sl->key = OPENSSL_malloc(keylen > 0 ? keylen : 1)) != NULL) {
		memcpy(sl->key, key, keylen);
		sl->keylen = keylen;
	}
}

/*
 * A keyed HMAC context.  Setting a key costs two SHA-256 compressions
 * of the padded key and copies of the digest state (some 6,000
 * instructions), and the configured keys are the same callback after
 * callback: EVP_MAC_init() with a NULL key only restores the keyed
 * state.  So a thread keeps SIG_SLOTS contexts keyed (huawei's second
 * reading keys with key + timestamp from the message).  NULL on failure.
 */
static EVP_MAC_CTX *
sig_hmac_ctx(struct sig_tls *t, const void *key, size_t keylen)
{
	struct sig_slot	*sl;

	if (sig_slot_find(t, t->mac, key, keylen, &sl)) {
		if (EVP_MAC_init(sl->ctx, NULL, 0, NULL))
			return sl->ctx;
		/* Set the key again. */
		OPENSSL_clear_free(sl->key, sl->keylen);
		sl->key = NULL;
		sl->keylen = 0;
	}
	if (!EVP_MAC_init(sl->ctx, key, keylen, NULL))
		return NULL;
	sig_slot_keep(sl, key, keylen);
	return sl->ctx;
}

/*
 * The SHA-256 of a configured secret, which IVS compares with the hash
 * of a header so that the comparison takes the same time whatever the
 * lengths: the same few secrets are hashed on every callback (some
 * 3,000 instructions each), so a thread remembers SIG_SLOTS digests.
 */
int
sig_secret_sha256_hex(const void *key, size_t keylen,
    char out[SIG_SHA256_HEX + 1])
{
	struct sig_tls	*t;
	struct sig_slot	*sl;

	out[0] = '\0';
	if ((t = sig_tls_get()) == NULL)
		return -1;
	if (!sig_slot_find(t, t->secret, key, keylen, &sl)) {
		if (sig_sha256_hex(key, keylen, sl->hex) == -1)
			return -1;
		sig_slot_keep(sl, key, keylen);
	}
	memcpy(out, sl->hex, sizeof(sl->hex));
	return 0;
}

int
sig_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
    size_t len, char out[SIG_SHA256_HEX + 1])
{
	struct sig_tls	*t;
	EVP_MAC_CTX	*mac;
	unsigned char	 raw[EVP_MAX_MD_SIZE];
	size_t		 n = 0;

	out[0] = '\0';
	if ((t = sig_tls_get()) == NULL)
		return -1;
	/* A NULL key would mean "keep the previous key" to EVP_MAC_init. */
	if (key == NULL)
		key = "";
	if ((mac = sig_hmac_ctx(t, key, keylen)) == NULL ||
	    !EVP_MAC_update(mac, data, len) ||
	    !EVP_MAC_final(mac, raw, &n, sizeof(raw)) ||
	    n != SIG_SHA256_HEX / 2) {
		log_warnx("sig: HMAC-SHA256 failed");
		return -1;
	}
	sig_hex(raw, n, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

/*
 * The given text is the sender's, so lower-casing it with branches
 * leaks nothing about our digest; only the comparison with the digest
 * we computed must take constant time (CRYPTO_memcmp).
 */
int
sig_hex_equal(const char *computed, const char *given, size_t givenlen)
{
	char	 low[SIG_HEX_MAX];
	size_t	 clen, i;
	int	 eq;

	if (computed == NULL || given == NULL)
		return 0;
	clen = strlen(computed);
	if (clen != givenlen || clen == 0 || clen > sizeof(low))
		return 0;
	for (i = 0; i < givenlen; i++) {
		char c = given[i];

		low[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	eq = CRYPTO_memcmp(low, computed, clen) == 0;
	return eq;
}
