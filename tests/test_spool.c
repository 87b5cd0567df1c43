/* test_spool.c -- unit tests of spool.c; the database is swapped out at link time (--wrap=store_insert). */
#include "autoconfig.h"

#include <sys/stat.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"
#include "store.h"

int	__wrap_store_insert(struct store *, const char *, size_t, size_t,
	    enum store_result *);

static int	 fake_fail;
static char	 fake_seen[8192];	/* every batch, concatenated */
static size_t	 fake_events;

/* Elements are {"n":<i>}; "bad" ones are refused, the rest commit. */
int
__wrap_store_insert(struct store *s, const char *batch, size_t len, size_t n,
    enum store_result *res)
{
	const char	*p = batch;
	size_t		 i;

	(void)s;
	if (fake_fail)
		return -1;
	strncat(fake_seen, batch, len < sizeof(fake_seen) - strlen(fake_seen) - 1 ?
	    len : sizeof(fake_seen) - strlen(fake_seen) - 1);
	for (i = 0; i < n; i++) {
		p = strchr(p, '{');
		assert_non_null(p);
		res[i] = strncmp(p, "{\"bad", 5) == 0 ? STORE_ERR : STORE_OK;
		p++;
	}
	fake_events += n;
	return 0;
}

static char	 dir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_spool.XXXXXX");
	assert_non_null(mkdtemp(dir));
	fake_fail = 0;
	fake_seen[0] = '\0';
	fake_events = 0;
	return 0;
}

static int
teardown(void **state)
{
	char	 cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static void
spool__put_then_replay__in_arrival_order_and_deleted(void **state)
{
	struct spool	*s;
	char		 e[32];
	int		 i;

	(void)state;
	assert_non_null(s = spool_open(dir));
	assert_int_equal(spool_writable(s), 1);
	for (i = 0; i < 100; i++) {
		snprintf(e, sizeof(e), "{\"n\":%d}", i);
		assert_int_equal(spool_put(s, e, strlen(e)), 0);
	}
	assert_int_equal(spool_count(s), 100);
	assert_int_equal(spool_replay(s, NULL, 0), 100);
	assert_int_equal(spool_count(s), 0);
	assert_int_equal(fake_events, 100);
	/* Arrival order survives, across two batches of SPOOL_REPLAY_BATCH. */
	assert_non_null(strstr(fake_seen, "[{\"n\":0},{\"n\":1},{\"n\":2}"));
	assert_true(strstr(fake_seen, "{\"n\":63}") < strstr(fake_seen, "{\"n\":64}"));
	assert_true(strstr(fake_seen, "{\"n\":98}") < strstr(fake_seen, "{\"n\":99}"));
	spool_free(s);
}

static void
spool__database_down__files_stay(void **state)
{
	struct spool	*s;

	(void)state;
	assert_non_null(s = spool_open(dir));
	assert_int_equal(spool_put(s, "{\"n\":1}", 7), 0);
	assert_int_equal(spool_put(s, "{\"n\":2}", 7), 0);
	fake_fail = 1;
	assert_int_equal(spool_replay(s, NULL, 0), -1);
	assert_int_equal(spool_count(s), 2);
	fake_fail = 0;
	assert_int_equal(spool_replay(s, NULL, 1), 1);
	assert_int_equal(spool_count(s), 1);
	assert_int_equal(spool_replay(s, NULL, 0), 1);
	assert_int_equal(spool_count(s), 0);
	spool_free(s);
}

static void
spool__refused_event__kept_aside_not_lost(void **state)
{
	struct spool	*s;
	char		 path[128];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	(void)state;
	assert_non_null(s = spool_open(dir));
	assert_int_equal(spool_put(s, "{\"bad\":1}", 9), 0);
	assert_int_equal(spool_put(s, "{\"n\":2}", 7), 0);
	assert_int_equal(spool_replay(s, NULL, 0), 1);
	assert_int_equal(spool_count(s), 0);
	snprintf(path, sizeof(path), "%s/rejected", dir);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	spool_free(s);
}

static void
spool__claim_of_a_dead_process__taken_back(void **state)
{
	struct spool	*s;
	char		 from[1024], to[1024];
	DIR		*d;
	struct dirent	*de;

	(void)state;
	assert_non_null(s = spool_open(dir));
	assert_int_equal(spool_put(s, "{\"n\":7}", 7), 0);
	/* Claim the file as a process that no longer exists would have. */
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".json") != NULL && de->d_name[0] != '.')
			break;
	assert_non_null(de);
	snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
	snprintf(to, sizeof(to), "%s/%s.claim.999999999", dir, de->d_name);
	closedir(d);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(spool_count(s), 1);
	assert_int_equal(spool_replay(s, NULL, 0), 1);
	assert_non_null(strstr(fake_seen, "{\"n\":7}"));
	assert_int_equal(spool_count(s), 0);
	spool_free(s);
}

static void
spool__directory_gone__put_fails(void **state)
{
	struct spool	*s;
	char		 cmd[128];

	(void)state;
	assert_non_null(s = spool_open(dir));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(spool_put(s, "{\"n\":1}", 7), -1);
	spool_free(s);
	assert_int_equal(mkdir(dir, 0700), 0);	/* for teardown */
}

static void
spool__writable__probes_with_a_write_and_leaves_nothing(void **state)
{
	struct spool	*s;
	char		 cmd[128];
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	(void)state;
	assert_non_null(s = spool_open(dir));
	assert_int_equal(spool_writable(s), 1);
	/* Asked again within the second: the same answer, no new probe. */
	assert_int_equal(spool_writable(s), 1);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, "rejected") != 0)
			n++;
	closedir(d);
	assert_int_equal(n, 0);
	assert_int_equal(spool_count(s), 0);
	spool_free(s);
	/* A spool whose directory is gone cannot take a write. */
	assert_non_null(s = spool_open(dir));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(spool_writable(s), 0);
	spool_free(s);
	assert_int_equal(mkdir(dir, 0700), 0);	/* for teardown */
}

/* Create an empty file name in dir. */
static void
touch(const char *name)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
}

static int
exists(const char *name)
{
	char	 path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void
spool__orphaned_tmp_files__removed_only_when_their_writer_is_gone(void **state)
{
	struct spool	*s;
	char		 mine[128], live[128];

	(void)state;
	snprintf(mine, sizeof(mine), ".tmp-%d-1-1-1-1.json", (int)getpid());
	snprintf(live, sizeof(live), ".tmp-%d-1-1-1-1.json", (int)getppid());
	touch(".tmp-999999999-1700000000000-0000000001-999999999-00000001.json");
	touch(mine);
	touch(live);
	touch(".tmp-notapid.json");
	touch("1700000000000-0000000001-00000001-00000001.json");
	assert_non_null(s = spool_open(dir));
	/* A dead process's, and this one's before it wrote anything (a pid come back). */
	assert_int_equal(spool_clean(s), 2);
	assert_false(exists(".tmp-999999999-1700000000000-0000000001-999999999-00000001.json"));
	assert_false(exists(mine));
	/* A live process may be writing it; unknown names and events stay. */
	assert_true(exists(live));
	assert_true(exists(".tmp-notapid.json"));
	assert_int_equal(spool_count(s), 1);
	/* Once this process has written, its own temporary files are its own. */
	touch(mine);
	assert_int_equal(spool_put(s, "{\"n\":1}", 7), 0);
	assert_int_equal(spool_clean(s), 0);
	assert_true(exists(mine));
	assert_int_equal(spool_count(s), 2);
	spool_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(spool__put_then_replay__in_arrival_order_and_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(spool__database_down__files_stay, setup, teardown),
		cmocka_unit_test_setup_teardown(spool__refused_event__kept_aside_not_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(spool__claim_of_a_dead_process__taken_back, setup, teardown),
		cmocka_unit_test_setup_teardown(spool__directory_gone__put_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(spool__writable__probes_with_a_write_and_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(spool__orphaned_tmp_files__removed_only_when_their_writer_is_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
