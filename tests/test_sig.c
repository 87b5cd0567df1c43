/* test_sig.c -- unit tests of sig.c against the vectors of reference/vendors.md section 7. */
#include "autoconfig.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sig.h"

/* Huawei's key K and auth_timestamp of vendors.md section 7. */
#define HW_KEY	"0123456789abcdef0123456789abcdef"
#define HW_TS	"1583676745"

static int
setup(void **state)
{
	(void)state;
	return sig_init();
}

static int
teardown(void **state)
{
	(void)state;
	sig_free();
	return 0;
}

static void
check_md5(const char *in, const char *want)
{
	char	 out[SIG_MD5_HEX + 1];

	assert_int_equal(sig_md5_hex(in, strlen(in), out), 0);
	assert_string_equal(out, want);
}

static void
check_hmac(const char *key, const char *msg, const char *want)
{
	char	 out[SIG_SHA256_HEX + 1];

	assert_int_equal(sig_hmac_sha256_hex(key, strlen(key), msg,
	    strlen(msg), out), 0);
	assert_string_equal(out, want);
}

static void
sig__aliyun_vendor_example__matches(void **state)
{
	(void)state;
	check_md5("learn.aliyundoc.com|1519375990|yourkey",
	    "9e226fc2c250be266e3657e156f68c12");
}

static void
sig__aliyun_push__matches(void **state)
{
	(void)state;
	check_md5("push.example.com|1609220385|0123456789abcdef",
	    "c7c76604b64cd0878731b48310375dbe");
}

/* Tencent's documented example: key abcdef, t 1545030873. */
static void
sig__tencent_documented_vector__matches(void **state)
{
	(void)state;
	check_md5("abcdef" "1545030873", "cbb1dd71328f9b21fdef173921bbfa1e");
}

static void
sig__huawei_record_md5__matches(void **state)
{
	(void)state;
	check_md5(HW_KEY HW_TS, "fbea60f41db857bbdee04a5127b742fa");
}

static void
sig__huawei_record_hmac_reading_a__matches(void **state)
{
	(void)state;
	check_hmac(HW_KEY, HW_KEY HW_TS,
	    "21626348e89ec05edb350a733eb2f65fd673406029aa2b5bc9688e6e26815b94");
}

static void
sig__huawei_record_hmac_reading_b__matches(void **state)
{
	(void)state;
	check_hmac(HW_KEY HW_TS, HW_KEY,
	    "1bc5d413eab817b3048d69aadd2c61cdfc811daeb4e0c05eea1c20cce06f71b0");
}

static void
sig__huawei_publish_hmac__matches(void **state)
{
	(void)state;
	check_hmac(HW_KEY, "PUBLISH" "push.example.com" "live"
	    "example_stream" "1587954140",
	    "fa5addca9ea94589d2a7f936a82e2ef3af10bf7ffc665e278c05214537e2ed41");
}

static void
sig__wrong_key__differs(void **state)
{
	char	 a[SIG_SHA256_HEX + 1], b[SIG_SHA256_HEX + 1];

	(void)state;
	assert_int_equal(sig_hmac_sha256_hex("key1", 4, "msg", 3, a), 0);
	assert_int_equal(sig_hmac_sha256_hex("key2", 4, "msg", 3, b), 0);
	assert_string_not_equal(a, b);
	/* Re-keying the thread's context gives the first answer again. */
	assert_int_equal(sig_hmac_sha256_hex("key1", 4, "msg", 3, b), 0);
	assert_string_equal(a, b);
}

/* The thread's context reused with the same key: each message on its own. */
static void
sig__hmac_same_key__each_message(void **state)
{
	(void)state;
	check_hmac("key", "The quick brown fox jumps over the lazy dog",
	    "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
	check_hmac("key", "",
	    "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0");
	check_hmac("key", "The quick brown fox jumps over the lazy dog",
	    "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
	/* A key that is a prefix of the last one is another key. */
	check_hmac("ke", "",
	    "09a1313b7ed238da3f2be656e72916f3a69c1a644135df82fcd71cd554597574");
}

/* A remembered secret's digest is the digest, for each of several secrets. */
static void
sig__secret_sha256__remembered(void **state)
{
	char	 a[SIG_SHA256_HEX + 1];
	int	 round, i;
	static const char *const secret[] = { "abc", "", "ab", "abd", "abc!" };

	(void)state;
	for (round = 0; round < 3; round++)
		for (i = 0; i < 5; i++) {
			char want[SIG_SHA256_HEX + 1];

			assert_int_equal(sig_sha256_hex(secret[i],
			    strlen(secret[i]), want), 0);
			assert_int_equal(sig_secret_sha256_hex(secret[i],
			    strlen(secret[i]), a), 0);
			assert_string_equal(a, want);
		}
	assert_int_equal(sig_secret_sha256_hex("abc", 3, a), 0);
	assert_string_equal(a,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* Keys longer than the SHA-256 block (64 bytes) are hashed first. */
static void
sig__hmac_long_key__matches(void **state)
{
	char	 key[101];

	(void)state;
	memset(key, 'k', 100);
	key[100] = '\0';
	check_hmac(key, "long key",
	    "5903eedefe0bba3f15b658715e41d71f1848739bddf19e497e968df5723dcd56");
}

static void
sig__empty_input__digests(void **state)
{
	char	 md5[SIG_MD5_HEX + 1], sha[SIG_SHA256_HEX + 1];

	(void)state;
	assert_int_equal(sig_md5_hex("", 0, md5), 0);
	assert_string_equal(md5, "d41d8cd98f00b204e9800998ecf8427e");
	assert_int_equal(sig_sha256_hex("", 0, sha), 0);
	assert_string_equal(sha,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sig_hmac_sha256_hex(NULL, 0, NULL, 0, sha), 0);
	assert_string_equal(sha,
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	assert_int_equal(sig_sha256_hex("abc", 3, sha), 0);
	assert_string_equal(sha,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
sig__hex_equal__upper_case_accepted(void **state)
{
	const char	*given = "FBEA60F41DB857BBDEE04A5127B742FA";

	(void)state;
	assert_true(sig_hex_equal("fbea60f41db857bbdee04a5127b742fa", given,
	    strlen(given)));
	assert_true(sig_hex_equal("fbea60f41db857bbdee04a5127b742fa",
	    "fbea60f41db857bbdee04a5127b742fa", 32));
}

static void
sig__hex_equal__wrong_length__rejected(void **state)
{
	const char	*c = "fbea60f41db857bbdee04a5127b742fa";

	(void)state;
	assert_false(sig_hex_equal(c, c, 31));
	assert_false(sig_hex_equal(c, "fbea60f41db857bbdee04a5127b742fa0", 33));
	assert_false(sig_hex_equal(c, "", 0));
	assert_false(sig_hex_equal("", "", 0));
}

static void
sig__hex_equal__one_flipped_char__rejected(void **state)
{
	const char	*c = "fbea60f41db857bbdee04a5127b742fa";
	char		 g[33];
	size_t		 i;

	(void)state;
	for (i = 0; i < 32; i++) {
		memcpy(g, c, sizeof(g));
		g[i] = g[i] == '0' ? '1' : '0';
		assert_false(sig_hex_equal(c, g, 32));
	}
}

/* Only A-F fold: bytes that would collide with digits after OR 0x20 do not. */
static void
sig__hex_equal__non_hex_bytes__rejected(void **state)
{
	(void)state;
	assert_false(sig_hex_equal("0a", "\x10" "A", 2));
	assert_false(sig_hex_equal("0a", "0\x01", 2));
	assert_true(sig_hex_equal("0a", "0A", 2));
}

struct worker {
	int	 i;
	int	 ok;
	char	 first[SIG_SHA256_HEX + 1];
};

/* Each thread computes its own HMACs; results must not mix. */
static void *
worker_run(void *arg)
{
	struct worker	*w = arg;
	char		 key[16], out[SIG_SHA256_HEX + 1];
	char		*first = w->first;
	int		 n;

	w->ok = 1;
	snprintf(key, sizeof(key), "key-%d", w->i);
	if (sig_hmac_sha256_hex(key, strlen(key), "msg", 3, first) != 0)
		w->ok = 0;
	for (n = 0; n < 2000 && w->ok; n++) {
		if (sig_hmac_sha256_hex(key, strlen(key), "msg", 3, out) != 0 ||
		    strcmp(out, first) != 0)
			w->ok = 0;
		if (sig_md5_hex(HW_KEY HW_TS, strlen(HW_KEY HW_TS), out) != 0 ||
		    strcmp(out, "fbea60f41db857bbdee04a5127b742fa") != 0)
			w->ok = 0;
	}
	return NULL;
}

static void
sig__concurrent_threads__agree(void **state)
{
	pthread_t	 t[8];
	struct worker	 w[8];
	char		 want[SIG_SHA256_HEX + 1], key[16];
	int		 i;

	(void)state;
	for (i = 0; i < 8; i++) {
		w[i].i = i;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_true(w[i].ok);
	}
	/* Each thread's digest is the one this thread computes for its key. */
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		assert_int_equal(sig_hmac_sha256_hex(key, strlen(key), "msg", 3,
		    want), 0);
		assert_string_equal(w[i].first, want);
	}
	assert_string_not_equal(w[0].first, w[1].first);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sig__aliyun_vendor_example__matches),
		cmocka_unit_test(sig__aliyun_push__matches),
		cmocka_unit_test(sig__tencent_documented_vector__matches),
		cmocka_unit_test(sig__huawei_record_md5__matches),
		cmocka_unit_test(sig__huawei_record_hmac_reading_a__matches),
		cmocka_unit_test(sig__huawei_record_hmac_reading_b__matches),
		cmocka_unit_test(sig__huawei_publish_hmac__matches),
		cmocka_unit_test(sig__wrong_key__differs),
		cmocka_unit_test(sig__hmac_same_key__each_message),
		cmocka_unit_test(sig__secret_sha256__remembered),
		cmocka_unit_test(sig__hmac_long_key__matches),
		cmocka_unit_test(sig__empty_input__digests),
		cmocka_unit_test(sig__hex_equal__upper_case_accepted),
		cmocka_unit_test(sig__hex_equal__wrong_length__rejected),
		cmocka_unit_test(sig__hex_equal__one_flipped_char__rejected),
		cmocka_unit_test(sig__hex_equal__non_hex_bytes__rejected),
		cmocka_unit_test(sig__concurrent_threads__agree),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
