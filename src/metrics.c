/* metrics.c -- counters shared by every livehook process on a socket, rendered for Prometheus. */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"

/*
 * Why shared memory, and this shape: spawn-fcgi -F and mod_fcgid run
 * several processes on one socket and any one of them answers a scrape
 * (reference/reliability-ecosystem.md B6).  Every process maps the same
 * POSIX shared memory object and adds to the same 64-bit counters with
 * relaxed atomic adds, so a scrape reads the sum with no merging, no
 * per-process files and no lock; a process that dies loses nothing it
 * counted.  No library does this for C: the Prometheus client libraries
 * for C keep per-process registries.
 */

#define METRICS_MAGIC		0x6c68686b6d657431ULL	/* "lhhkmet1" */
#define METRICS_LAYOUT		1

/* Every vendor of SPEC section 1; a name not listed counts as "unknown". */
static const char *const metrics_vendors[] = {
	"aliyun", "huawei", "jdcloud", "tencent", "srs", "nginx-rtmp", "ivs",
	"mux", "unknown",
};
#define METRICS_NVENDORS	(sizeof(metrics_vendors) / sizeof(metrics_vendors[0]))

/* Every kind of SPEC section 2. */
static const char *const metrics_kinds[] = {
	"publish", "unpublish", "record_started", "record_paused",
	"record_resumed", "record_file_started", "record_file_complete",
	"record_over", "record_failed", "snapshot", "play", "play_done", "other",
};
#define METRICS_NKINDS		(sizeof(metrics_kinds) / sizeof(metrics_kinds[0]))

static const char *const metrics_outcomes[METRICS_OUTCOMES] = {
	"stored", "duplicate", "spooled", "rejected", "unavailable",
};

/* Refusal statuses (SPEC section 3); anything else counts as the last. */
static const int metrics_statuses[] = {
	400, 403, 404, 405, 408, 411, 413, 500, 503, 0,
};
#define METRICS_NSTATUSES	(sizeof(metrics_statuses) / sizeof(metrics_statuses[0]))

/* Seconds; upper bounds of the latency buckets. */
static const double metrics_latency_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10,
};
#define METRICS_NLATENCY	(sizeof(metrics_latency_le) / sizeof(metrics_latency_le[0]))

/* Events per transaction. */
static const double metrics_batch_le[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256 };
#define METRICS_NBATCH		(sizeof(metrics_batch_le) / sizeof(metrics_batch_le[0]))

/* A histogram: bucket[i] counts values <= le[i] and > le[i-1]; one more for +Inf. */
struct metrics_hist_latency {
	uint64_t	 bucket[METRICS_NLATENCY + 1];
	uint64_t	 count;
	uint64_t	 sum_us;
};

struct metrics_hist_batch {
	uint64_t	 bucket[METRICS_NBATCH + 1];
	uint64_t	 count;
	uint64_t	 sum;
};

/* The shared object: a header, then counters only (zero is a valid start). */
struct metrics_shm {
	uint64_t			 magic;
	uint64_t			 layout;
	uint64_t			 size;
	uint64_t			 requests[METRICS_NVENDORS][METRICS_OUTCOMES];
	uint64_t			 events[METRICS_NVENDORS][METRICS_NKINDS][3];
	uint64_t			 rejections[METRICS_NVENDORS][METRICS_NSTATUSES];
	struct metrics_hist_latency	 request_latency;
	struct metrics_hist_latency	 commit_latency;
	struct metrics_hist_batch	 batch;
	uint64_t			 commits[2];	/* failed, ok */
	uint64_t			 last_accepted_ms[METRICS_NVENDORS];
	uint64_t			 rejections_dropped;
};

static struct metrics_shm	 metrics_local;
static struct metrics_shm	*metrics = &metrics_local;
static int			 metrics_shared;

static inline void
metrics_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t
metrics_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

int
metrics_open(const char *name)
{
	struct metrics_shm	*m;
	struct stat		 st;
	uint64_t		 zero = 0;
	int			 fd;

	if ((fd = shm_open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("metrics: shm_open %s", name);
		return -1;
	}
	/* Every process sizes it the same; ftruncate keeps what is there. */
	if (fstat(fd, &st) == -1 || ((size_t)st.st_size < sizeof(*m) &&
	    ftruncate(fd, sizeof(*m)) == -1)) {
		log_warn("metrics: %s", name);
		close(fd);
		return -1;
	}
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		log_warn("metrics: mmap %s", name);
		return -1;
	}
	/* The first process writes the header; a different layout is not ours. */
	if (__atomic_compare_exchange_n(&m->magic, &zero, METRICS_MAGIC, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		m->layout = METRICS_LAYOUT;
		m->size = sizeof(*m);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
	if (m->magic != METRICS_MAGIC || (m->layout != 0 &&
	    (m->layout != METRICS_LAYOUT || m->size != sizeof(*m)))) {
		log_warnx("metrics: %s was made by another livehook version "
		    "(remove it, or set [server] metrics_shm); counting in "
		    "this process only", name);
		munmap(m, sizeof(*m));
		return -1;
	}
	metrics = m;
	metrics_shared = 1;
	return 0;
}

void
metrics_close(void)
{
	if (metrics_shared)
		munmap(metrics, sizeof(*metrics));
	metrics = &metrics_local;
	metrics_shared = 0;
}

void
metrics_default_name(const char *config_path, char *out, size_t outsz)
{
	char		 real[4096];
	const char	*p = config_path != NULL ? config_path : "";
	uint64_t	 h = 0xcbf29ce484222325ULL;	/* FNV-1a, 64 bits */

	if (config_path != NULL && realpath(config_path, real) != NULL)
		p = real;
	for (; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	snprintf(out, outsz, "/livehook-%u-%016llx", (unsigned)getuid(),
	    (unsigned long long)h);
}

static size_t
metrics_vendor(const char *vendor)
{
	size_t	 i;

	if (vendor != NULL)
		for (i = 0; i < METRICS_NVENDORS - 1; i++)
			if (strcmp(vendor, metrics_vendors[i]) == 0)
				return i;
	return METRICS_NVENDORS - 1;
}

static void
metrics_latency(struct metrics_hist_latency *h, int64_t usec)
{
	size_t	 i;

	if (usec < 0)
		return;
	for (i = 0; i < METRICS_NLATENCY; i++)
		if ((double)usec <= metrics_latency_le[i] * 1e6)
			break;
	metrics_add(&h->bucket[i], 1);
	metrics_add(&h->sum_us, (uint64_t)usec);
	metrics_add(&h->count, 1);
}

void
metrics_request(const char *vendor, const char *kind,
    enum metrics_outcome outcome, int status, int64_t usec)
{
	size_t	 v = metrics_vendor(vendor), i;

	if ((unsigned)outcome >= METRICS_OUTCOMES)
		return;
	metrics_add(&metrics->requests[v][outcome], 1);
	if (outcome <= METRICS_SPOOLED) {
		struct timespec	 ts;

		/* The latest wins; racing writers store nearly the same time. */
		clock_gettime(CLOCK_REALTIME_COARSE, &ts);
		__atomic_store_n(&metrics->last_accepted_ms[v],
		    (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000,
		    __ATOMIC_RELAXED);
	}
	if (outcome <= METRICS_SPOOLED && kind != NULL) {
		for (i = 0; i < METRICS_NKINDS; i++)
			if (strcmp(kind, metrics_kinds[i]) == 0) {
				metrics_add(&metrics->events[v][i][outcome], 1);
				break;
			}
	}
	if (outcome == METRICS_REJECTED || outcome == METRICS_UNAVAILABLE) {
		for (i = 0; i < METRICS_NSTATUSES - 1; i++)
			if (metrics_statuses[i] == status)
				break;
		metrics_add(&metrics->rejections[v][i], 1);
	}
	metrics_latency(&metrics->request_latency, usec);
}

void
metrics_commit(size_t n, int64_t usec, int ok)
{
	size_t	 i;

	metrics_add(&metrics->commits[ok ? 1 : 0], 1);
	metrics_latency(&metrics->commit_latency, usec);
	for (i = 0; i < METRICS_NBATCH; i++)
		if ((double)n <= metrics_batch_le[i])
			break;
	metrics_add(&metrics->batch.bucket[i], 1);
	metrics_add(&metrics->batch.sum, n);
	metrics_add(&metrics->batch.count, 1);
}

void
metrics_rejections_dropped(uint64_t n)
{
	metrics_add(&metrics->rejections_dropped, n);
}

static void
metrics_head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Cumulative buckets, +Inf, _sum, _count (the text format's histogram). */
static void
metrics_hist(struct buf *b, const char *name, const uint64_t *bucket,
    const double *le, size_t n, double sum)
{
	uint64_t	 cum = 0;
	size_t		 i;

	for (i = 0; i < n; i++) {
		cum += metrics_get(&bucket[i]);
		buf_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, le[i],
		    (unsigned long long)cum);
	}
	cum += metrics_get(&bucket[n]);
	buf_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	buf_printf(b, "%s_sum %.6f\n", name, sum);
	/* The count is the +Inf bucket, so that the two always agree. */
	buf_printf(b, "%s_count %llu\n", name, (unsigned long long)cum);
}

void
metrics_render(struct buf *b, const struct metrics_now *now)
{
	const struct metrics_shm	*m = metrics;
	size_t				 v, k, o;
	uint64_t			 c;

	metrics_head(b, "livehook_build_info", "gauge",
	    "livehook build; always 1.");
	buf_printf(b, "livehook_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metrics_head(b, "livehook_metrics_shared", "gauge",
	    "1 when the counters are summed over every process sharing the "
	    "metrics_shm object, 0 when they are this process's only.");
	buf_printf(b, "livehook_metrics_shared %d\n", metrics_shared);

	metrics_head(b, "livehook_requests_total", "counter",
	    "Requests to callback paths by vendor (unknown: the path names "
	    "none) and outcome.");
	for (v = 0; v < METRICS_NVENDORS; v++)
		for (o = 0; o < METRICS_OUTCOMES; o++)
			buf_printf(b, "livehook_requests_total{vendor=\"%s\","
			    "outcome=\"%s\"} %llu\n", metrics_vendors[v],
			    metrics_outcomes[o],
			    (unsigned long long)metrics_get(&m->requests[v][o]));

	metrics_head(b, "livehook_last_accepted_timestamp_seconds", "gauge",
	    "When the latest callback of the vendor was accepted (stored, "
	    "duplicate or spooled), Unix time.");
	for (v = 0; v < METRICS_NVENDORS; v++)
		if ((c = metrics_get(&m->last_accepted_ms[v])) > 0)
			buf_printf(b, "livehook_last_accepted_timestamp_seconds{"
			    "vendor=\"%s\"} %.3f\n", metrics_vendors[v],
			    (double)c / 1000);

	metrics_head(b, "livehook_events_total", "counter",
	    "Callbacks made durable by vendor, kind and outcome (stored, "
	    "duplicate, spooled).");
	for (v = 0; v < METRICS_NVENDORS; v++)
		for (k = 0; k < METRICS_NKINDS; k++)
			for (o = 0; o < 3; o++)
				if ((c = metrics_get(&m->events[v][k][o])) > 0)
					buf_printf(b, "livehook_events_total{vendor="
					    "\"%s\",kind=\"%s\",outcome=\"%s\"} "
					    "%llu\n", metrics_vendors[v],
					    metrics_kinds[k], metrics_outcomes[o],
					    (unsigned long long)c);

	metrics_head(b, "livehook_rejections_total", "counter",
	    "Requests to callback paths answered with an error, by vendor and "
	    "HTTP status (other: a status not listed); reasons are in "
	    "livehook.rejections.");
	for (v = 0; v < METRICS_NVENDORS; v++)
		for (k = 0; k < METRICS_NSTATUSES; k++)
			if ((c = metrics_get(&m->rejections[v][k])) > 0) {
				if (metrics_statuses[k] != 0)
					buf_printf(b, "livehook_rejections_total{"
					    "vendor=\"%s\",status=\"%d\"} %llu\n",
					    metrics_vendors[v], metrics_statuses[k],
					    (unsigned long long)c);
				else
					buf_printf(b, "livehook_rejections_total{"
					    "vendor=\"%s\",status=\"other\"} %llu\n",
					    metrics_vendors[v], (unsigned long long)c);
			}

	metrics_head(b, "livehook_request_duration_seconds", "histogram",
	    "Callback requests from accept to answer (the commit included).");
	metrics_hist(b, "livehook_request_duration_seconds",
	    m->request_latency.bucket, metrics_latency_le, METRICS_NLATENCY,
	    (double)metrics_get(&m->request_latency.sum_us) / 1e6);
	metrics_head(b, "livehook_commit_duration_seconds", "histogram",
	    "Database transactions of the writers, one per batch.");
	metrics_hist(b, "livehook_commit_duration_seconds",
	    m->commit_latency.bucket, metrics_latency_le, METRICS_NLATENCY,
	    (double)metrics_get(&m->commit_latency.sum_us) / 1e6);
	metrics_head(b, "livehook_batch_events", "histogram",
	    "Events per database transaction.");
	metrics_hist(b, "livehook_batch_events", m->batch.bucket,
	    metrics_batch_le, METRICS_NBATCH, (double)metrics_get(&m->batch.sum));
	metrics_head(b, "livehook_commits_total", "counter",
	    "Database transactions of the writers by result.");
	buf_printf(b, "livehook_commits_total{result=\"ok\"} %llu\n",
	    (unsigned long long)metrics_get(&m->commits[1]));
	buf_printf(b, "livehook_commits_total{result=\"failed\"} %llu\n",
	    (unsigned long long)metrics_get(&m->commits[0]));
	metrics_head(b, "livehook_rejection_counts_dropped_total", "counter",
	    "Rejections not counted in livehook.rejections because the "
	    "in-memory table waiting for the database was full.");
	buf_printf(b, "livehook_rejection_counts_dropped_total %llu\n",
	    (unsigned long long)metrics_get(&m->rejections_dropped));

	metrics_head(b, "livehook_database_up", "gauge",
	    "1 when PostgreSQL answered the last time it was asked.");
	buf_printf(b, "livehook_database_up %d\n", now->database_up ? 1 : 0);
	if (now->spool_files >= 0) {
		metrics_head(b, "livehook_spool_files", "gauge",
		    "Events waiting in the spool directory for the database.");
		buf_printf(b, "livehook_spool_files %ld\n", now->spool_files);
		metrics_head(b, "livehook_spool_oldest_age_seconds", "gauge",
		    "Age of the oldest event in the spool; 0 when it is empty.");
		buf_printf(b, "livehook_spool_oldest_age_seconds %.3f\n",
		    now->spool_oldest_age);
	}
}
