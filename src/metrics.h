/* metrics.h -- counters shared by every livehook process on a socket, rendered for Prometheus. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* What became of a request to a callback path (SPEC section 11). */
enum metrics_outcome {
	METRICS_STORED,
	METRICS_DUPLICATE,
	METRICS_SPOOLED,
	METRICS_REJECTED,
	METRICS_UNAVAILABLE,
	METRICS_OUTCOMES
};

/*
 * Count into the POSIX shared memory object name ("/livehook-..."),
 * created if missing, so that every process that opens the same name adds
 * to the same counters and any of them renders the sum.  Before it (or
 * when it fails: logged, -1) the counters are this process's own.
 */
int	metrics_open(const char *name);
/* Stop counting into the shared object (counting goes on in-process). */
void	metrics_close(void);

/*
 * The default object name for the configuration file path: the same for
 * every process started with that file by the same user.  Into out
 * (outsz >= 48).
 */
void	metrics_default_name(const char *config_path, char *out, size_t outsz);

/*
 * One answered request to a callback path.  vendor: its name or NULL
 * ("unknown"); kind: the event kind's name or NULL (not decoded); status:
 * the HTTP status answered; usec: from accept to answer, or -1.
 * Thread-safe, lock-free.
 */
void	metrics_request(const char *vendor, const char *kind,
	    enum metrics_outcome, int status, int64_t usec);

/* One transaction of n events that took usec; ok: it committed. */
void	metrics_commit(size_t n, int64_t usec, int ok);

/* Rejection counts dropped because the in-memory table was full. */
void	metrics_rejections_dropped(uint64_t n);

/* What only the scraping process can look at now. */
struct metrics_now {
	int	 database_up;		/* 1 or 0 */
	long	 spool_files;		/* -1: no spool */
	double	 spool_oldest_age;	/* seconds; 0 when empty */
};

/* Append the Prometheus text exposition (format 0.0.4) to b. */
void	metrics_render(struct buf *b, const struct metrics_now *);

/* The Content-Type of metrics_render's text. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

#endif
