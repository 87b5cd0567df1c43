/* spool.c -- events made durable on local disk while PostgreSQL is away (SPEC section 6). */
#include "autoconfig.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "spool.h"
#include "store.h"

/* A spooled file is at most this large (max_body plus the event fields). */
#define SPOOL_FILE_MAX		(4 * 1024 * 1024)
#define SPOOL_SUFFIX		".json"
#define SPOOL_CLAIM		".claim."
/* A file being written: ".tmp-<pid>-<name>", renamed to <name> once synced. */
#define SPOOL_TMP		".tmp-"
/* spool_writable() writes a probe file this large, at most once per interval. */
#define SPOOL_PROBE		".probe-"
#define SPOOL_PROBE_SIZE	4096
#define SPOOL_PROBE_INTERVAL	1	/* seconds */

struct spool {
	char		*dir;
	int		 dirfd;
	pthread_mutex_t	 mu;		/* seq, and one replay at a time */
	unsigned long	 seq;
	pthread_mutex_t	 probe_mu;	/* the two below, one probe at a time */
	struct timespec	 probe_at;	/* CLOCK_MONOTONIC of the last probe */
	int		 probe_ok;
};

struct spool *
spool_open(const char *dir)
{
	struct spool	*s;
	char		 rej[PATH_MAX];

	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		log_warn("spool: mkdir %s", dir);
		return NULL;
	}
	snprintf(rej, sizeof(rej), "%s/rejected", dir);
	if (mkdir(rej, 0750) == -1 && errno != EEXIST)
		log_warn("spool: mkdir %s", rej);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("spool: calloc");
		return NULL;
	}
	if ((s->dir = strdup(dir)) == NULL) {
		log_warn("spool: strdup");
		free(s);
		return NULL;
	}
	if ((s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("spool: open %s", dir);
		free(s->dir);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->probe_mu, NULL);
	return s;
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	close(s->dirfd);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->probe_mu);
	free(s->dir);
	free(s);
}

/* write(2) all of buf.  0 or -1. */
static int
spool_write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
spool_put(struct spool *s, const char *json, size_t len)
{
	struct timespec	 ts;
	char		 name[128], tmp[160];
	unsigned long	 seq;
	int		 fd = -1, rc = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&s->mu);
	seq = s->seq++;
	pthread_mutex_unlock(&s->mu);
	/* Names sort in arrival order: time, then process, then sequence. */
	snprintf(name, sizeof(name), "%013lld-%010ld-%08d-%08lu" SPOOL_SUFFIX,
	    (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
	    (long)ts.tv_nsec, (int)getpid(), seq);
	snprintf(tmp, sizeof(tmp), SPOOL_TMP "%d-%s", (int)getpid(), name);
	if ((fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1) {
		log_warn("spool: create %s/%s", s->dir, tmp);
		goto out;
	}
	if (spool_write_all(fd, json, len) == -1) {
		log_warn("spool: write %s/%s", s->dir, tmp);
		goto out;
	}
	if (fsync(fd) == -1) {
		log_warn("spool: fsync %s/%s", s->dir, tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_warn("spool: close %s/%s", s->dir, tmp);
		goto out;
	}
	fd = -1;
	if (renameat(s->dirfd, tmp, s->dirfd, name) == -1) {
		log_warn("spool: rename %s/%s", s->dir, tmp);
		goto out;
	}
	if (fsync(s->dirfd) == -1) {
		log_warn("spool: fsync %s", s->dir);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc == -1)
		unlinkat(s->dirfd, tmp, 0);
	return rc;
}

/*
 * Whether pid may still be writing a temporary file: any live process,
 * and this one once it has written (before, the name is a dead
 * process's whose pid came back, say in a container restarted).
 */
static int
spool_writer_alive(struct spool *s, long pid)
{
	char	 path[64], stat[256], *p;
	ssize_t	 n;
	int	 fd;

	if (pid == (long)getpid())
		return s->seq > 0;
	if (kill((pid_t)pid, 0) == -1 && errno == ESRCH)
		return 0;
	/*
	 * A process killed a moment ago stays a zombie until it is reaped
	 * (by init, for spawn-fcgi's workers): it writes nothing more.
	 * Linux: the state follows the ")" in /proc/<pid>/stat, proc(5).
	 */
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	stat[n] = '\0';
	if ((p = strrchr(stat, ')')) == NULL || p[1] != ' ')
		return 1;
	return p[2] != 'Z' && p[2] != 'X';
}

long
spool_clean(struct spool *s)
{
	DIR		*d;
	struct dirent	*de;
	long		 pid, n = 0;
	char		*end;
	int		 fd;

	if ((fd = dup(s->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("spool: opendir %s", s->dir);
		if (fd != -1)
			close(fd);
		return -1;
	}
	pthread_mutex_lock(&s->mu);
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, SPOOL_TMP, strlen(SPOOL_TMP)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(SPOOL_TMP), &end, 10);
		/* Not ours, or its writer is still there: leave it. */
		if (*end != '-' || pid <= 0 || spool_writer_alive(s, pid))
			continue;
		if (unlinkat(s->dirfd, de->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			log_warn("spool: unlink %s/%s", s->dir, de->d_name);
	}
	pthread_mutex_unlock(&s->mu);
	closedir(d);
	if (n > 0) {
		fsync(s->dirfd);
		log_info("spool: removed %ld temporary file(s) of processes that "
		    "are gone from %s (never acknowledged)", n, s->dir);
	}
	return n;
}

static int
spool_is_entry(const char *name)
{
	size_t	 n = strlen(name), sl = strlen(SPOOL_SUFFIX);

	return name[0] != '.' && n > sl && strcmp(name + n - sl, SPOOL_SUFFIX) == 0;
}

/*
 * A claimed file "<name>.claim.<pid>" whose process is gone (crashed
 * between claim and delete): give it back.
 */
static void
spool_reclaim(struct spool *s, const char *name)
{
	const char	*p = strstr(name, SPOOL_CLAIM);
	char		 orig[NAME_MAX + 1];
	long		 pid;
	char		*end;

	if (p == NULL)
		return;
	pid = strtol(p + strlen(SPOOL_CLAIM), &end, 10);
	if (*end != '\0' || pid <= 0)
		return;
	if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
		return;
	if ((size_t)(p - name) >= sizeof(orig))
		return;
	memcpy(orig, name, (size_t)(p - name));
	orig[p - name] = '\0';
	if (renameat(s->dirfd, name, s->dirfd, orig) == 0)
		log_info("spool: took back %s from a process that is gone", orig);
}

long
spool_count(struct spool *s)
{
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;
	int		 fd;

	if ((fd = dup(s->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && (spool_is_entry(de->d_name) ||
		    strstr(de->d_name, SPOOL_CLAIM) != NULL))
			n++;
	closedir(d);
	return n;
}

int64_t
spool_oldest_ms(struct spool *s)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int64_t		 oldest = 0, t;
	int		 fd;

	if ((fd = dup(s->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (!spool_is_entry(de->d_name) &&
		    strstr(de->d_name, SPOOL_CLAIM) == NULL))
			continue;
		/* Replayed and deleted meanwhile: not waiting any more. */
		if (fstatat(s->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		t = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		if (oldest == 0 || t < oldest)
			oldest = t;
	}
	closedir(d);
	return oldest;
}

/*
 * Write, sync and remove a probe file as spool_put() writes an event.
 * 1 when all of it succeeded.  Failures are not logged: /readyz says so.
 */
static int
spool_probe(struct spool *s)
{
	char	 name[64], block[SPOOL_PROBE_SIZE];
	int	 fd, ok;

	snprintf(name, sizeof(name), SPOOL_PROBE "%d", (int)getpid());
	if ((fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) == -1)
		return 0;
	memset(block, '\n', sizeof(block));
	ok = spool_write_all(fd, block, sizeof(block)) == 0 && fsync(fd) == 0;
	if (close(fd) == -1)
		ok = 0;
	if (unlinkat(s->dirfd, name, 0) == -1)
		ok = 0;
	return ok;
}

int
spool_writable(struct spool *s)
{
	struct timespec	 now;
	int		 ok;

	/* A probe under way in another thread: its last answer will do. */
	if (pthread_mutex_trylock(&s->probe_mu) != 0)
		return __atomic_load_n(&s->probe_ok, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (s->probe_at.tv_sec == 0 ||
	    now.tv_sec - s->probe_at.tv_sec >= SPOOL_PROBE_INTERVAL) {
		__atomic_store_n(&s->probe_ok, spool_probe(s), __ATOMIC_RELAXED);
		s->probe_at = now;
	}
	ok = s->probe_ok;
	pthread_mutex_unlock(&s->probe_mu);
	return ok;
}

static int
spool_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of waiting files in arrival order, at most max; stale
 * claims are taken back first.  *out is an array of malloc'd names the
 * caller frees.  Returns the count, or -1.
 */
static long
spool_list(struct spool *s, long max, char ***out)
{
	DIR		*d;
	struct dirent	*de;
	char		**v = NULL, **nv;
	long		 n = 0, cap = 0;
	int		 fd;

	*out = NULL;
	if ((fd = dup(s->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		log_warn("spool: opendir %s", s->dir);
		if (fd != -1)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, SPOOL_CLAIM) != NULL)
			spool_reclaim(s, de->d_name);
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (!spool_is_entry(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nv = realloc(v, (size_t)cap * sizeof(*v))) == NULL)
				break;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), spool_cmp);
	while (max > 0 && n > max)
		free(v[--n]);
	*out = v;
	return n;
}

/* Read a claimed file into b (appending).  0 or -1. */
static int
spool_read(struct spool *s, const char *name, struct buf *b)
{
	char	 chunk[8192];
	ssize_t	 n;
	size_t	 total = 0;
	int	 fd, rc = -1;

	if ((fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("spool: open %s/%s", s->dir, name);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("spool: read %s/%s", s->dir, name);
			goto out;
		}
		if ((total += (size_t)n) > SPOOL_FILE_MAX) {
			log_warnx("spool: %s/%s is too large", s->dir, name);
			goto out;
		}
		buf_add(b, chunk, (size_t)n);
	}
	rc = b->failed ? -1 : 0;
out:
	close(fd);
	return rc;
}

/*
 * Replay one batch of up to SPOOL_REPLAY_BATCH names.  Returns the
 * number replayed, or -1 when the database failed.
 */
static long
spool_replay_batch(struct spool *s, struct store *store, char **names, long n)
{
	char			 claim[SPOOL_REPLAY_BATCH][NAME_MAX + 1];
	char			 rej[NAME_MAX + 16];
	enum store_result	 res[SPOOL_REPLAY_BATCH];
	long			 idx[SPOOL_REPLAY_BATCH];
	struct buf		 batch = BUF_INIT;
	long			 i, k = 0, done = 0;
	size_t			 len;

	buf_addc(&batch, '[');
	for (i = 0; i < n; i++) {
		snprintf(claim[k], sizeof(claim[k]), "%s" SPOOL_CLAIM "%d",
		    names[i], (int)getpid());
		/* The claim: whoever renames first owns the file. */
		if (renameat(s->dirfd, names[i], s->dirfd, claim[k]) == -1)
			continue;
		len = batch.len;
		if (k > 0)
			buf_addc(&batch, ',');
		if (spool_read(s, claim[k], &batch) == -1) {
			/* Unreadable: keep it aside for the operator. */
			batch.len = len;
			snprintf(rej, sizeof(rej), "rejected/%s", names[i]);
			renameat(s->dirfd, claim[k], s->dirfd, rej);
			continue;
		}
		idx[k++] = i;
	}
	buf_addc(&batch, ']');
	if (k == 0)
		goto out;
	if (batch.failed || store_insert(store, batch.data, batch.len,
	    (size_t)k, res) == -1) {
		/* Not durable: give every claimed file back. */
		for (i = 0; i < k; i++)
			renameat(s->dirfd, claim[i], s->dirfd, names[idx[i]]);
		done = -1;
		goto out;
	}
	for (i = 0; i < k; i++) {
		if (res[i] == STORE_ERR) {
			log_warnx("spool: %s refused by the database, kept in "
			    "%s/rejected", names[idx[i]], s->dir);
			snprintf(rej, sizeof(rej), "rejected/%s", names[idx[i]]);
			renameat(s->dirfd, claim[i], s->dirfd, rej);
		} else if (res[i] == STORE_RETRY)
			renameat(s->dirfd, claim[i], s->dirfd, names[idx[i]]);
		else {
			/* Committed (or already there): now it may go. */
			unlinkat(s->dirfd, claim[i], 0);
			done++;
		}
	}
	if (done > 0)
		fsync(s->dirfd);
out:
	buf_free(&batch);
	return done;
}

long
spool_replay(struct spool *s, struct store *store, long max)
{
	char	**names = NULL;
	long	  n, i, off, chunk, got, total = 0;

	pthread_mutex_lock(&s->mu);
	if ((n = spool_list(s, max, &names)) <= 0)
		goto out;
	for (off = 0; off < n; off += chunk) {
		chunk = n - off < SPOOL_REPLAY_BATCH ? n - off : SPOOL_REPLAY_BATCH;
		if ((got = spool_replay_batch(s, store, names + off, chunk)) == -1) {
			total = total > 0 ? total : -1;
			break;
		}
		total += got;
	}
	if (total > 0)
		log_info("spool: replayed %ld event(s) from %s", total, s->dir);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	pthread_mutex_unlock(&s->mu);
	return total;
}
