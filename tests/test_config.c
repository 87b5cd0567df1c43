/* test_config.c -- unit tests of config.c: files written into a temporary directory. */
#include "autoconfig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

#ifndef TEST_DATADIR
#error TEST_DATADIR must name tests/data
#endif

static char	 tmpdir[] = "/tmp/test_config.XXXXXX";
static char	 errbuf[16384];		/* what the last load logged */

static int
setup(void **state)
{
	(void)state;
	log_init("livehook");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* Write text into a new file of tmpdir; its name goes into path. */
static void
write_file(char *path, size_t pathsz, const char *text)
{
	int	 fd;
	size_t	 len = strlen(text);

	snprintf(path, pathsz, "%s/conf.XXXXXX", tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* config_load(path) with stderr captured into errbuf. */
static struct config *
load_path(const char *path)
{
	struct config	*cfg;
	char		 logpath[256];
	int		 fd, saved;
	ssize_t		 n;

	snprintf(logpath, sizeof(logpath), "%s/log.XXXXXX", tmpdir);
	assert_true((fd = mkstemp(logpath)) >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	cfg = config_load(path);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	n = read(fd, errbuf, sizeof(errbuf) - 1);
	assert_true(n >= 0);
	errbuf[n] = '\0';
	close(fd);
	unlink(logpath);
	return cfg;
}

/* Load text as a file; path receives the file's name (then removed). */
static struct config *
load_text(const char *text, char *path, size_t pathsz)
{
	struct config	*cfg;

	write_file(path, pathsz, text);
	cfg = load_path(path);
	unlink(path);
	return cfg;
}

/* errbuf holds "path:line: rest" for this file. */
static void
expect_logged(const char *path, int line, const char *rest)
{
	char	 want[512];

	snprintf(want, sizeof(want), "livehook: %s:%d: %s\n", path, line, rest);
	if (strstr(errbuf, want) == NULL)
		fail_msg("expected \"%s\" in the log:\n%s", want, errbuf);
}

static void
config__null_path__defaults(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;

	(void)state;
	cfg = config_load(NULL);
	assert_non_null(cfg);
	assert_string_equal(cfg->conninfo, "");
	assert_int_equal(cfg->max_body, CONFIG_MAX_BODY_DEFAULT);
	assert_null(cfg->spool_dir);
	assert_int_equal(cfg->threads, 8);
	assert_int_equal(cfg->group_commit, 1);
	assert_int_equal(cfg->batch_max, 96);
	assert_int_equal(cfg->read_timeout, 10);
	assert_int_equal(cfg->db_timeout, 5);
	assert_int_equal(cfg->nvendors, 0);
	assert_int_equal(config_vendor_get(cfg, "huawei", NULL, &v), -1);
	config_free(cfg);
	config_free(NULL);
}

static void
config__valid_full_file__loaded(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 path[256];

	(void)state;
	cfg = load_text(
	    "; comment\n"
	    "# another comment\n"
	    "\n"
	    "[database]\n"
	    "conninfo = host=/run/postgresql dbname=livehook\n"
	    "timeout = 2\n"
	    "[server]\n"
	    "max_body = 131072\n"
	    "read_timeout = 30\n"
	    "spool_dir = /var/spool/livehook\n"
	    "threads = 4\n"
	    "group_commit = no\n"
	    "batch_max = 64\n"
	    "[jdcloud]\n"
	    "token = jd-path-token\n"
	    "duration_unit = s\n"
	    "size_unit = bytes\n"
	    "[aliyun]\r\n"
	    "key = aliyunkey0123456\r\n"
	    "callback_host = hooks.example.com\r\n"
	    "tolerance = 60\n"
	    "[huawei]\n"
	    "key = hw-key\n"
	    "sign_type = hmac-sha256\n"
	    "max_ahead = 0\n"
	    "[tencent]\n"
	    "allow_unsigned = yes\n"
	    "tolerance = 86400\n",
	    path, sizeof(path));
	assert_non_null(cfg);
	assert_string_equal(errbuf, "");
	assert_string_equal(cfg->path, path);
	assert_string_equal(cfg->conninfo, "host=/run/postgresql dbname=livehook");
	assert_int_equal(cfg->max_body, 131072);
	assert_string_equal(cfg->spool_dir, "/var/spool/livehook");
	assert_int_equal(cfg->threads, 4);
	assert_int_equal(cfg->group_commit, 0);
	assert_int_equal(cfg->batch_max, 64);
	assert_int_equal(cfg->read_timeout, 30);
	assert_int_equal(cfg->db_timeout, 2);
	assert_int_equal(cfg->nvendors, 4);

	assert_int_equal(config_vendor_get(cfg, "jdcloud", NULL, &v), 0);
	assert_int_equal(v.nkeys, 0);
	assert_int_equal(v.ntokens, 1);
	assert_string_equal(v.tokens[0], "jd-path-token");
	assert_int_equal(v.duration_unit, CONFIG_UNIT_S);
	assert_int_equal(v.size_unit, CONFIG_UNIT_BYTES);
	assert_int_equal(v.allow_unsigned, 0);
	assert_int_equal(v.tolerance, CONFIG_TOLERANCE_DEFAULT);
	assert_int_equal(v.max_ahead, CONFIG_MAX_AHEAD_DEFAULT);
	assert_null(v.domain);

	assert_int_equal(config_vendor_get(cfg, "aliyun", NULL, &v), 0);
	assert_int_equal(v.nkeys, 1);
	assert_string_equal(v.keys[0], "aliyunkey0123456");
	assert_string_equal(v.callback_host, "hooks.example.com");
	assert_int_equal(v.tolerance, 60);

	assert_int_equal(config_vendor_get(cfg, "huawei", NULL, &v), 0);
	assert_int_equal(v.sign_type, CONFIG_SIGN_HMAC_SHA256);
	assert_int_equal(v.sign_type_set, 1);
	assert_int_equal(v.max_ahead, 0);

	assert_int_equal(config_vendor_get(cfg, "tencent", NULL, &v), 0);
	assert_int_equal(v.allow_unsigned, 1);
	assert_int_equal(v.tolerance, 86400);
	assert_int_equal(v.sign_type, CONFIG_SIGN_MD5);
	assert_int_equal(v.sign_type_set, 0);
	/* Unknown domain: the vendor's settings. */
	assert_int_equal(config_vendor_get(cfg, "tencent", "x.example.com", &v), 0);
	assert_null(v.domain);
	assert_int_equal(config_vendor_get(cfg, "nosuch", NULL, &v), -1);
	config_free(cfg);
}

/* Every kind of mistake, each reported with its line, all in one pass. */
static void
config__mistakes__each_reported_with_line(void **state)
{
	struct config	*cfg;
	char		 path[256];

	(void)state;
	cfg = load_text(
	    "orphan = 1\n"				/* 1 */
	    "[database]\n"				/* 2 */
	    "conninfo = a\n"				/* 3 */
	    "conninfo = b\n"				/* 4 */
	    "[server]\n"				/* 5 */
	    "threads = 0\n"				/* 6 */
	    "max_body = 67108865\n"			/* 7 */
	    "batch_max = 257\n"				/* 8 */
	    "group_commit = maybe\n"			/* 9 */
	    "spool_dir = relative/dir\n"		/* 10 */
	    "colour = blue\n"				/* 11 */
	    "[nosuch]\n"				/* 12 */
	    "anything = goes\n"				/* 13 */
	    "[huawei]\n"				/* 14 */
	    "key = k1\n"				/* 15 */
	    "sign_type = sha1\n"			/* 16 */
	    "tolerance = 86401\n"			/* 17 */
	    "max_ahead = -5\n"				/* 18 */
	    "allow_unsigned = perhaps\n"		/* 19 */
	    "duration_unit = min\n"			/* 20 */
	    "size_unit = mb\n"				/* 21 */
	    "callback_host = https://x/\n"		/* 22 */
	    "secret = x\n"				/* 23 */
	    "this line has no separator\n"		/* 24 */
	    "[tencent:live.example.com]\n"		/* 25 */
	    "key = t1\n"				/* 26 */
	    "[aliyun\n"					/* 27 */
	    "[jdcloud] junk\n"				/* 28 */
	    "[aliyun:bad/domain]\n"			/* 29 */
	    "tolerance = 5\n"				/* 30 */
	    "tolerance = 6\n"				/* 31 */
	    "[server]\n"				/* 32 */
	    "read_timeout = 0\n"			/* 33 */
	    "[database]\n"				/* 34 */
	    "timeout = 301\n",				/* 35 */
	    path, sizeof(path));
	assert_null(cfg);
	expect_logged(path, 1, "[] orphan: setting outside any section");
	expect_logged(path, 4, "[database] conninfo: set twice");
	expect_logged(path, 6, "[server] threads: not a number from 1 to 64");
	expect_logged(path, 7, "[server] max_body: not a number of bytes from 1 to 67108864 (64 MiB)");
	expect_logged(path, 8, "[server] batch_max: not a number from 1 to 256");
	expect_logged(path, 33, "[server] read_timeout: not a number of seconds from 1 to 300");
	expect_logged(path, 35, "[database] timeout: not a number of seconds from 1 to 300");
	expect_logged(path, 9, "[server] group_commit: not yes or no");
	expect_logged(path, 10, "[server] spool_dir: not an absolute path");
	expect_logged(path, 11, "[server] colour: unknown key");
	expect_logged(path, 12, "[nosuch]: unknown section (expected database, server, jdcloud, aliyun, huawei, tencent, srs, nginx-rtmp, ivs or mux)");
	expect_logged(path, 16, "[huawei] sign_type: not md5 or hmac-sha256");
	expect_logged(path, 17, "[huawei] tolerance: not a number of seconds from 0 to 86400");
	expect_logged(path, 18, "[huawei] max_ahead: not a number of seconds from 0 to 86400");
	expect_logged(path, 19, "[huawei] allow_unsigned: not yes or no");
	expect_logged(path, 20, "[huawei] duration_unit: not ms or s");
	expect_logged(path, 21, "[huawei] size_unit: not bytes or kb");
	expect_logged(path, 22, "[huawei] callback_host: not a host name (no scheme, port or path)");
	expect_logged(path, 23, "[huawei] secret: unknown key");
	expect_logged(path, 24, "[huawei]: expected \"[section]\" or \"key = value\"");
	expect_logged(path, 25, "[tencent:live.example.com]: no [tencent] section for this domain");
	expect_logged(path, 27, "[aliyun]: '[' without ']'");
	expect_logged(path, 28, "[jdcloud]: text after ']'");
	expect_logged(path, 29, "[aliyun:bad/domain]: not a domain name after ':'");
	/* Keys under a refused section are not judged again. */
	assert_null(strstr(errbuf, ":13:"));
	assert_null(strstr(errbuf, ":30:"));
	assert_null(strstr(errbuf, ":31:"));
	/* jdcloud was refused on its header line, so it is not reported as unauthenticated. */
	assert_null(strstr(errbuf, "[jdcloud]: no key"));
}

static void
config__too_many_keys__rejected_without_logging_them(void **state)
{
	struct config	*cfg;
	char		 path[256], text[1024];
	size_t		 n = 0;
	int		 i;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "[aliyun]\n");
	for (i = 0; i <= CONFIG_KEYS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "key = SeCrEt%dvalue\n", i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "key =\n");
	cfg = load_text(text, path, sizeof(path));
	assert_null(cfg);
	expect_logged(path, CONFIG_KEYS_MAX + 2, "[aliyun] key: more than 8 in one section");
	expect_logged(path, CONFIG_KEYS_MAX + 3, "[aliyun] key: empty value");
	assert_null(strstr(errbuf, "SeCrEt"));
}

static void
config__key_rotation__all_keys_kept(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 path[256];

	(void)state;
	cfg = load_text("[huawei]\nkey = new-key\nkey = old-key\n"
	    "key = older-key\ntoken = tok\n", path, sizeof(path));
	assert_non_null(cfg);
	assert_int_equal(config_vendor_get(cfg, "huawei", NULL, &v), 0);
	assert_int_equal(v.nkeys, 3);
	assert_string_equal(v.keys[0], "new-key");
	assert_string_equal(v.keys[1], "old-key");
	assert_string_equal(v.keys[2], "older-key");
	assert_int_equal(v.ntokens, 1);
	config_free(cfg);
}

static void
config__domain_section__merged_over_vendor(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 path[256];

	(void)state;
	cfg = load_text(
	    "[huawei:push.example.com]\n"	/* before its vendor: fine */
	    "key = domain-key\n"
	    "sign_type = md5\n"
	    "[huawei]\n"
	    "key = vendor-key-1\n"
	    "key = vendor-key-2\n"
	    "token = vendor-token\n"
	    "sign_type = hmac-sha256\n"
	    "tolerance = 120\n"
	    "[huawei:other.example.com]\n"
	    "max_ahead = 30\n"
	    "allow_unsigned = yes\n",
	    path, sizeof(path));
	assert_non_null(cfg);
	assert_int_equal(cfg->nvendors, 3);

	assert_int_equal(config_vendor_get(cfg, "huawei", "PUSH.example.com",
	    &v), 0);
	assert_string_equal(v.vendor, "huawei");
	assert_string_equal(v.domain, "push.example.com");
	assert_int_equal(v.nkeys, 1);
	assert_string_equal(v.keys[0], "domain-key");
	assert_int_equal(v.ntokens, 1);
	assert_string_equal(v.tokens[0], "vendor-token");
	assert_int_equal(v.sign_type, CONFIG_SIGN_MD5);
	assert_int_equal(v.tolerance, 120);
	assert_int_equal(v.max_ahead, CONFIG_MAX_AHEAD_DEFAULT);
	assert_int_equal(v.allow_unsigned, 0);

	assert_int_equal(config_vendor_get(cfg, "huawei", "other.example.com",
	    &v), 0);
	assert_int_equal(v.nkeys, 2);
	assert_string_equal(v.keys[1], "vendor-key-2");
	assert_int_equal(v.sign_type, CONFIG_SIGN_HMAC_SHA256);
	assert_int_equal(v.max_ahead, 30);
	assert_int_equal(v.tolerance, 120);
	assert_int_equal(v.allow_unsigned, 1);

	assert_int_equal(config_vendor_get(cfg, "huawei", NULL, &v), 0);
	assert_null(v.domain);
	assert_int_equal(v.nkeys, 2);
	assert_int_equal(v.allow_unsigned, 0);
	config_free(cfg);
}

static void
config__unauthenticated_vendor__refused(void **state)
{
	struct config	*cfg;
	char		 path[256];

	(void)state;
	cfg = load_text("[tencent]\n"			/* 1 */
	    "tolerance = 30\n"				/* 2 */
	    "[jdcloud]\n"				/* 3 */
	    "allow_unsigned = no\n"			/* 4 */
	    "[aliyun]\n"				/* 5 */
	    "allow_unsigned = yes\n"			/* 6 */
	    "[aliyun:a.example.com]\n"			/* 7 */
	    "allow_unsigned = no\n"			/* 8 */
	    "[huawei]\n",				/* 9: empty */
	    path, sizeof(path));
	assert_null(cfg);
	expect_logged(path, 1, "[tencent]: no key, token or allow_unsigned = yes");
	expect_logged(path, 3, "[jdcloud]: no key, token or allow_unsigned = yes");
	expect_logged(path, 7, "[aliyun:a.example.com]: no key, token or allow_unsigned = yes");
	expect_logged(path, 9, "[huawei]: no key, token or allow_unsigned = yes");
	assert_null(strstr(errbuf, "[aliyun]:"));
}

static void
config__long_line__refused_with_its_line(void **state)
{
	struct config	*cfg;
	char		 path[256], text[1024], want[128];
	size_t		 n;

	(void)state;
	/* 197 bytes (libinih r55: INI_MAX_LINE 200 - 3) is the longest line. */
	n = (size_t)snprintf(text, sizeof(text), "[database]\nconninfo = ");
	memset(text + n, 'x', 197 - strlen("conninfo = "));
	n += 197 - strlen("conninfo = ");
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
	cfg = load_text(text, path, sizeof(path));
	assert_non_null(cfg);
	assert_int_equal(strlen(cfg->conninfo), 197 - strlen("conninfo = "));
	config_free(cfg);

	/* One byte more: refused, and the next lines keep their numbers. */
	n = (size_t)snprintf(text, sizeof(text), "[database]\nconninfo = ");
	memset(text + n, 'x', 198 - strlen("conninfo = "));
	n += 198 - strlen("conninfo = ");
	snprintf(text + n, sizeof(text) - n, "\n[server]\nthreads = 99\n");
	cfg = load_text(text, path, sizeof(path));
	assert_null(cfg);
	snprintf(want, sizeof(want), "[database]: line longer than 197 bytes "
	    "(libinih's limit; put a long conninfo into a service file)");
	expect_logged(path, 2, want);
	expect_logged(path, 4, "[server] threads: not a number from 1 to 64");
	/* The tail of the long line is not read as a line of its own. */
	assert_null(strstr(errbuf, ":3:"));

	/* 300 bytes. */
	n = (size_t)snprintf(text, sizeof(text), "[huawei]\nkey = ");
	memset(text + n, 'k', 300);
	n += 300;
	snprintf(text + n, sizeof(text) - n, "\nkey = short\n");
	cfg = load_text(text, path, sizeof(path));
	assert_null(cfg);
	expect_logged(path, 2, "[huawei]: line longer than 197 bytes "
	    "(libinih's limit; put a long conninfo into a service file)");
	assert_null(strstr(errbuf, "kkkk"));
}

static void
config__inline_comment__stripped_after_space_only(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 path[256];

	(void)state;
	cfg = load_text("[huawei]   ; the vendor\n"
	    "key = abc ; first key\n"
	    "key = a;b\n"
	    "key=tight\t;tab comment\n"
	    "  key = indented\n"
	    "sign_type: hmac-sha256\n",
	    path, sizeof(path));
	assert_non_null(cfg);
	assert_int_equal(config_vendor_get(cfg, "huawei", NULL, &v), 0);
	assert_int_equal(v.nkeys, 4);
	assert_string_equal(v.keys[0], "abc");
	assert_string_equal(v.keys[1], "a;b");
	assert_string_equal(v.keys[2], "tight");
	assert_string_equal(v.keys[3], "indented");
	assert_int_equal(v.sign_type, CONFIG_SIGN_HMAC_SHA256);
	config_free(cfg);
}

/* inih's multi-line values would append a silent second key. */
static void
config__continuation_line__refused(void **state)
{
	struct config	*cfg;
	char		 path[256];

	(void)state;
	cfg = load_text("[huawei]\nkey = first\n    second\n", path,
	    sizeof(path));
	assert_null(cfg);
	expect_logged(path, 3, "[huawei]: expected \"[section]\" or \"key = value\"");
}

static void
config__missing_file__refused(void **state)
{
	char	 path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/does-not-exist.conf", tmpdir);
	assert_null(load_path(path));
	assert_non_null(strstr(errbuf, "does-not-exist.conf: No such file"));
}

static void
config__sample_config__loads(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 sample[512], path[256], line[512];
	char			*text;
	size_t			 n = 0, cap = 65536;
	FILE			*f;

	(void)state;
	snprintf(sample, sizeof(sample), "%s/../../contrib/livehook.conf",
	    TEST_DATADIR);
	cfg = load_path(sample);
	assert_non_null(cfg);
	assert_string_equal(errbuf, "");
	assert_string_equal(cfg->conninfo, "service=livehook");
	assert_null(cfg->spool_dir);
	assert_int_equal(cfg->nvendors, 0);
	config_free(cfg);

	/* Switch every example on (";key" -> "key") and load again. */
	assert_non_null(f = fopen(sample, "r"));
	assert_non_null(text = malloc(cap));
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;

		if (p[0] == ';' && (p[1] == '[' || (p[1] >= 'a' && p[1] <= 'z')))
			p++;
		assert_true(n + strlen(p) < cap);
		memcpy(text + n, p, strlen(p));
		n += strlen(p);
	}
	text[n] = '\0';
	fclose(f);
	cfg = load_text(text, path, sizeof(path));
	free(text);
	if (cfg == NULL)
		fail_msg("sample with examples on: %s", errbuf);
	assert_string_equal(cfg->spool_dir, "/var/spool/livehook");
	assert_int_equal(cfg->nvendors, 9);
	assert_int_equal(config_vendor_get(cfg, "aliyun", NULL, &v), 0);
	assert_int_equal(v.nkeys, 2);
	assert_string_equal(v.callback_host, "hooks.example.com");
	assert_int_equal(config_vendor_get(cfg, "huawei", "push.example.com",
	    &v), 0);
	assert_int_equal(v.sign_type, CONFIG_SIGN_MD5);
	assert_int_equal(config_vendor_get(cfg, "huawei", NULL, &v), 0);
	assert_int_equal(v.sign_type, CONFIG_SIGN_HMAC_SHA256);
	assert_int_equal(config_vendor_get(cfg, "jdcloud", NULL, &v), 0);
	assert_int_equal(v.ntokens, 1);
	assert_int_equal(v.duration_unit, CONFIG_UNIT_MS);
	assert_int_equal(v.size_unit, CONFIG_UNIT_KB);
	assert_int_equal(config_vendor_get(cfg, "tencent", NULL, &v), 0);
	assert_int_equal(v.nkeys, 1);
	assert_int_equal(v.ntokens, 1);
	assert_int_equal(config_vendor_get(cfg, "nginx-rtmp", NULL, &v), 0);
	assert_string_equal(v.store_domain, "live.example.com");
	assert_int_equal(v.npublish_keys, 1);
	assert_int_equal(v.heartbeat_timeout, 90);
	assert_int_equal(config_vendor_get(cfg, "ivs", NULL, &v), 0);
	assert_string_equal(v.header, "X-Livehook-Key");
	assert_int_equal(v.nkeys, 2);
	assert_int_equal(config_vendor_get(cfg, "mux", NULL, &v), 0);
	assert_int_equal(v.nkeys, 1);
	config_free(cfg);
}

/* [ivs] header: a header name, IVS only, needed by its keys. */
static void
config__ivs_header__checked(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 path[256];

	(void)state;
	cfg = load_text("[ivs]\n"				/* 1 */
	    "key = k1\n"					/* 2 */
	    "[ivs:123456789012.us-west-2]\n"		/* 3 */
	    "header = X Key\n"				/* 4 */
	    "[mux]\n"					/* 5 */
	    "key = s\n"					/* 6 */
	    "header = X-Key\n",				/* 7 */
	    path, sizeof(path));
	assert_null(cfg);
	expect_logged(path, 1, "[ivs]: key = needs header = (the header the API destination sends)");
	expect_logged(path, 4, "[ivs:123456789012.us-west-2] header: not an HTTP header name");
	expect_logged(path, 7, "[mux] header: only for [ivs]");

	cfg = load_text("[ivs]\nkey = k1\nheader = X-Livehook-Key\n"
	    "[ivs:123456789012.us-west-2]\nheader = Authorization\n"
	    "key = Basic dTpw\n", path, sizeof(path));
	assert_non_null(cfg);
	assert_int_equal(config_vendor_get(cfg, "ivs", "123456789012.us-west-2", &v), 0);
	assert_string_equal(v.header, "Authorization");
	assert_string_equal(v.keys[0], "Basic dTpw");
	assert_int_equal(config_vendor_get(cfg, "ivs", "999999999999.eu-west-1", &v), 0);
	assert_string_equal(v.header, "X-Livehook-Key");
	config_free(cfg);
}

/* issue 13: domain, publish_key and heartbeat_timeout of srs and nginx-rtmp. */
static void
config__selfhosted_settings__checked_and_merged(void **state)
{
	struct config		*cfg;
	struct config_vendor	 v;
	char			 path[256];

	(void)state;
	cfg = load_text("[huawei]\nkey = k\npublish_key = p\n"
	    "[srs]\ntoken = t\nheartbeat_timeout = 86401\n"
	    "[nginx-rtmp]\ntoken = t\ndomain = not a domain\n", path, sizeof(path));
	assert_null(cfg);
	expect_logged(path, 3, "[huawei] publish_key: only for srs and nginx-rtmp");
	expect_logged(path, 6, "[srs] heartbeat_timeout: not a number of seconds from 0 to 86400");
	expect_logged(path, 9, "[nginx-rtmp] domain: not a domain name");
	assert_null(strstr(errbuf, "= p"));

	cfg = load_text("[srs]\ntoken = t\ndomain = live.example.com\n"
	    "publish_key = one\npublish_key = two\n"
	    "[srs:live.example.com]\npublish_key = three\nheartbeat_timeout = 0\n"
	    "[nginx-rtmp]\nallow_unsigned = yes\n", path, sizeof(path));
	if (cfg == NULL)
		fail_msg("%s", errbuf);
	assert_int_equal(config_vendor_get(cfg, "srs", NULL, &v), 0);
	assert_string_equal(v.store_domain, "live.example.com");
	assert_int_equal(v.npublish_keys, 2);
	assert_int_equal(v.heartbeat_timeout, CONFIG_HEARTBEAT_SRS_DEFAULT);
	assert_int_equal(config_vendor_get(cfg, "srs", "LIVE.example.com", &v), 0);
	assert_int_equal(v.npublish_keys, 1);
	assert_string_equal(v.publish_keys[0], "three");
	assert_int_equal(v.heartbeat_timeout, 0);
	assert_int_equal(config_vendor_get(cfg, "nginx-rtmp", NULL, &v), 0);
	assert_null(v.store_domain);
	assert_int_equal(v.heartbeat_timeout, CONFIG_HEARTBEAT_NGINX_DEFAULT);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config__null_path__defaults),
		cmocka_unit_test(config__valid_full_file__loaded),
		cmocka_unit_test(config__mistakes__each_reported_with_line),
		cmocka_unit_test(config__too_many_keys__rejected_without_logging_them),
		cmocka_unit_test(config__key_rotation__all_keys_kept),
		cmocka_unit_test(config__domain_section__merged_over_vendor),
		cmocka_unit_test(config__unauthenticated_vendor__refused),
		cmocka_unit_test(config__long_line__refused_with_its_line),
		cmocka_unit_test(config__inline_comment__stripped_after_space_only),
		cmocka_unit_test(config__continuation_line__refused),
		cmocka_unit_test(config__missing_file__refused),
		cmocka_unit_test(config__sample_config__loads),
		cmocka_unit_test(config__selfhosted_settings__checked_and_merged),
		cmocka_unit_test(config__ivs_header__checked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
