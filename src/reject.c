/* reject.c -- rejection counts held in memory until the writer adds them to livehook.rejections. */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "metrics.h"
#include "reject.h"

/*
 * A hand-written open-addressing table: a bounded, lock-protected count
 * per key, small enough to sit in every process; nothing in our
 * libraries (json-c's lh_table grows without bound) fits that.
 */
#define REJECT_SLOTS	512		/* a power of two, > REJECT_MAX */
#define REJECT_VENDOR_MAX	24
#define REJECT_ADDR_MAX		INET6_ADDRSTRLEN

struct reject_entry {
	int64_t		 bucket;		/* ms, the start of the minute */
	int64_t		 last_ms;
	uint64_t	 count;			/* 0: the slot is free */
	uint32_t	 hash;
	int		 status;
	char		 vendor[REJECT_VENDOR_MAX];
	char		 reason[REJECT_REASON_MAX + 1];
	char		 addr[REJECT_ADDR_MAX];	/* "" when not an IP address */
};

struct reject_table {
	struct reject_entry	 slot[REJECT_SLOTS];
	size_t			 used;
};

static pthread_mutex_t		 reject_mu = PTHREAD_MUTEX_INITIALIZER;
static struct reject_table	 reject_live;	/* under reject_mu */
static struct reject_table	 reject_taken;	/* the taker's */
static int			 reject_waiting;	/* reject_live.used > 0 */
static int			 reject_full_logged;

static uint32_t
reject_hash(int64_t bucket, const char *vendor, int status, const char *reason)
{
	uint32_t	 h = 2166136261u;	/* FNV-1a, 32 bits */
	const char	*p;
	size_t		 i;

	for (i = 0; i < sizeof(bucket); i++) {
		h ^= (uint32_t)((uint64_t)bucket >> (8 * i)) & 0xff;
		h *= 16777619u;
	}
	h ^= (uint32_t)status;
	h *= 16777619u;
	for (p = vendor; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	h ^= '/';
	h *= 16777619u;
	for (p = reason; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 16777619u;
	}
	return h;
}

/*
 * Add count for key to t (linear probing); last_ms/addr of the newest
 * win.  0, or -1 when t holds REJECT_MAX keys already.
 */
static int
reject_add(struct reject_table *t, const struct reject_entry *e)
{
	struct reject_entry	*s;
	size_t			 i;

	for (i = e->hash & (REJECT_SLOTS - 1);; i = (i + 1) & (REJECT_SLOTS - 1)) {
		s = &t->slot[i];
		if (s->count == 0)
			break;
		if (s->hash == e->hash && s->bucket == e->bucket &&
		    s->status == e->status && strcmp(s->vendor, e->vendor) == 0 &&
		    strcmp(s->reason, e->reason) == 0) {
			s->count += e->count;
			if (e->last_ms >= s->last_ms) {
				s->last_ms = e->last_ms;
				memcpy(s->addr, e->addr, sizeof(s->addr));
			}
			return 0;
		}
	}
	if (t->used >= REJECT_MAX)
		return -1;
	*s = *e;
	t->used++;
	return 0;
}

/* Copy at most max-1 bytes of src, printable ASCII only (the rest '?'). */
static void
reject_copy(char *dst, size_t max, const char *src)
{
	size_t	 i;

	for (i = 0; i + 1 < max && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

void
reject_note(const char *vendor, int status, const char *reason,
    const char *addr, int64_t when_ms)
{
	struct reject_entry	 e;
	unsigned char		 bin[sizeof(struct in6_addr)];
	int			 full;

	memset(&e, 0, sizeof(e));
	e.bucket = when_ms - when_ms % 60000;
	e.last_ms = when_ms;
	e.count = 1;
	e.status = status;
	reject_copy(e.vendor, sizeof(e.vendor), vendor != NULL ? vendor : "unknown");
	reject_copy(e.reason, sizeof(e.reason), reason != NULL ? reason : "");
	/* Only what inet takes: the web server's REMOTE_ADDR may be a path. */
	if (addr != NULL && strlen(addr) < sizeof(e.addr) &&
	    (inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1))
		memcpy(e.addr, addr, strlen(addr) + 1);
	e.hash = reject_hash(e.bucket, e.vendor, e.status, e.reason);

	pthread_mutex_lock(&reject_mu);
	full = reject_add(&reject_live, &e) == -1;
	__atomic_store_n(&reject_waiting, 1, __ATOMIC_RELAXED);
	if (full && !reject_full_logged) {
		reject_full_logged = 1;
		log_warnx("reject: %d distinct rejection counts wait for the "
		    "database; further ones are only in the metrics", REJECT_MAX);
	}
	pthread_mutex_unlock(&reject_mu);
	if (full)
		metrics_rejections_dropped(1);
}

int
reject_pending(void)
{
	return __atomic_load_n(&reject_waiting, __ATOMIC_RELAXED);
}

size_t
reject_take(struct buf *json)
{
	struct reject_entry	*s;
	size_t			 i, n = 0;

	buf_reset(json);
	pthread_mutex_lock(&reject_mu);
	if (reject_live.used == 0) {
		__atomic_store_n(&reject_waiting, 0, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&reject_mu);
		return 0;
	}
	reject_taken = reject_live;
	memset(&reject_live, 0, sizeof(reject_live));
	__atomic_store_n(&reject_waiting, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&reject_mu);
	if (reject_taken.used == 0)
		return 0;
	buf_addc(json, '[');
	for (i = 0; i < REJECT_SLOTS; i++) {
		s = &reject_taken.slot[i];
		if (s->count == 0)
			continue;
		if (n++ > 0)
			buf_addc(json, ',');
		buf_adds(json, "{\"bucket\":");
		buf_i64(json, s->bucket);
		buf_adds(json, ",\"vendor\":");
		buf_json_str(json, s->vendor, strlen(s->vendor));
		buf_adds(json, ",\"status\":");
		buf_i64(json, s->status);
		buf_adds(json, ",\"reason\":");
		buf_json_str(json, s->reason, strlen(s->reason));
		buf_adds(json, ",\"count\":");
		buf_i64(json, (int64_t)s->count);
		buf_adds(json, ",\"addr\":");
		if (s->addr[0] != '\0')
			buf_json_str(json, s->addr, strlen(s->addr));
		else
			buf_adds(json, "null");
		buf_adds(json, ",\"last_seen\":");
		buf_i64(json, s->last_ms);
		buf_addc(json, '}');
	}
	buf_addc(json, ']');
	return n;
}

void
reject_done(int ok)
{
	size_t	 i, lost = 0;

	if (!ok && reject_taken.used > 0) {
		pthread_mutex_lock(&reject_mu);
		for (i = 0; i < REJECT_SLOTS; i++)
			if (reject_taken.slot[i].count != 0 &&
			    reject_add(&reject_live, &reject_taken.slot[i]) == -1)
				lost += reject_taken.slot[i].count;
		if (reject_live.used > 0)
			__atomic_store_n(&reject_waiting, 1, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&reject_mu);
		if (lost > 0)
			metrics_rejections_dropped(lost);
	} else if (ok) {
		pthread_mutex_lock(&reject_mu);
		reject_full_logged = 0;
		pthread_mutex_unlock(&reject_mu);
	}
	memset(&reject_taken, 0, sizeof(reject_taken));
}
