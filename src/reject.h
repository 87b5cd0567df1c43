/* reject.h -- rejection counts held in memory until the writer adds them to livehook.rejections. */
#ifndef REJECT_H
#define REJECT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Distinct (minute, vendor, status, reason) counts held at most; past it
 * a rejection is counted only in livehook_rejection_counts_dropped_total.
 * At one flush a second this is reached only while the database is away:
 * with one kind of refusal a minute, after six hours and more.
 */
#define REJECT_MAX	384

/* Longest reason kept (longer ones are cut). */
#define REJECT_REASON_MAX	120

/*
 * Count one refusal (vendor NULL: "unknown") that arrived at when_ms
 * (ms since the epoch) from addr.  Thread-safe; no I/O.
 */
void	reject_note(const char *vendor, int status, const char *reason,
	    const char *addr, int64_t when_ms);

/* Whether counts wait to be flushed (cheap, no lock). */
int	reject_pending(void);

/*
 * Move every waiting count out of the table as the JSON array that
 * livehook.count_rejections() takes, into json (reset first).  Returns the
 * number of elements (0: nothing waits, json empty).  Until reject_done()
 * they belong to the caller: one taker at a time (the writer thread).
 */
size_t	reject_take(struct buf *json);

/*
 * The counts last taken were stored (ok), or not: then they go back into
 * the table, added to what arrived meanwhile, for the next flush.
 */
void	reject_done(int ok);

#endif
