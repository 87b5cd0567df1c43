/* log.c -- one line per event on stderr, err(3) style. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *log_progname = "livehook";

void
log_init(const char *progname)
{
	const char	*p;

	if (progname == NULL)
		return;
	p = strrchr(progname, '/');
	log_progname = p != NULL ? p + 1 : progname;
}

/* A warning that repeats: one per distinct text, numbers aside. */
struct log_repeat {
	unsigned long long	 key;
	long long		 start;		/* its window began (monotonic s); 0: free */
	unsigned long		 count;		/* suppressed since */
	char			 last[LOG_LINE_MAX];	/* the last suppressed line */
};

static pthread_mutex_t	 log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_repeat log_rep[LOG_REPEAT_SLOTS];

static long long
log_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Never 0, which marks a free slot. */
	return (long long)ts.tv_sec + 1;
}

/*
 * Copy src into dst (size dstsz) as one line: a run of line breaks and
 * the white space after it becomes " | " (nothing at the end), a tab a
 * space, other control bytes '?'; trailing blanks go.  Returns the length.
 */
static size_t
log_flatten(char *dst, size_t dstsz, const char *src)
{
	size_t		 o = 0;
	unsigned char	 c;

	while ((c = (unsigned char)*src) != '\0' && o + 1 < dstsz) {
		if (c == '\n' || c == '\r') {
			while (*src == '\n' || *src == '\r' || *src == '\t' || *src == ' ')
				src++;
			while (o > 0 && dst[o - 1] == ' ')
				o--;
			if (*src != '\0' && o > 0 && o + 3 + 1 < dstsz) {
				memcpy(dst + o, " | ", 3);
				o += 3;
			}
			continue;
		}
		dst[o++] = c == '\t' ? ' ' : c < 0x20 || c == 0x7f ? '?' : (char)c;
		src++;
	}
	while (o > 0 && dst[o - 1] == ' ')
		o--;
	dst[o] = '\0';
	return o;
}

/* FNV-1a of line with every run of digits read as one '#'. */
static unsigned long long
log_key(const char *line)
{
	unsigned long long	 h = 14695981039346656037ULL;
	int			 digits = 0;

	for (; *line != '\0'; line++) {
		if (*line >= '0' && *line <= '9') {
			if (digits++)
				continue;
			h = (h ^ '#') * 1099511628211ULL;
			continue;
		}
		digits = 0;
		h = (h ^ (unsigned char)*line) * 1099511628211ULL;
	}
	return h;
}

/* Write line (no newline) and a newline with one fputs.  log_mu held. */
static void
log_put(const char *line, const char *suffix)
{
	char	 out[LOG_LINE_MAX + 40];

	snprintf(out, sizeof(out), "%.*s%s\n", LOG_LINE_MAX - 2, line,
	    suffix != NULL ? suffix : "");
	fputs(out, stderr);
}

/* The summary of slot r, if it has one; then its window starts again.  log_mu held. */
static void
log_summary(struct log_repeat *r, long long now)
{
	char	 suffix[40];

	if (r->count > 0) {
		snprintf(suffix, sizeof(suffix), " (repeated %lu times)", r->count);
		log_put(r->last, suffix);
		r->count = 0;
		r->start = now;
	} else
		r->start = 0;
}

/* Summaries of the windows that have ended.  log_mu held. */
static void
log_expire(long long now, int all)
{
	size_t	 i;

	for (i = 0; i < LOG_REPEAT_SLOTS; i++)
		if (log_rep[i].start != 0 &&
		    (all || now - log_rep[i].start >= LOG_REPEAT_WINDOW))
			log_summary(&log_rep[i], now);
}

/* Write line now, or count it when it repeats within its window. */
static void
log_emit(const char *line, int limited)
{
	struct log_repeat	*r, *free_r = NULL, *oldest = NULL;
	unsigned long long	 key;
	long long		 now = log_now();
	size_t			 i;

	pthread_mutex_lock(&log_mu);
	log_expire(now, 0);
	if (!limited) {
		log_put(line, NULL);
		goto out;
	}
	key = log_key(line);
	for (i = 0; i < LOG_REPEAT_SLOTS; i++) {
		r = &log_rep[i];
		if (r->start == 0) {
			if (free_r == NULL)
				free_r = r;
			continue;
		}
		if (r->key == key) {
			r->count++;
			snprintf(r->last, sizeof(r->last), "%s", line);
			goto out;
		}
		if (oldest == NULL || r->start < oldest->start)
			oldest = r;
	}
	if ((r = free_r) == NULL) {
		/* Every slot busy: the oldest window ends early. */
		r = oldest;
		log_summary(r, now);
	}
	r->key = key;
	r->start = now;
	r->count = 0;
	log_put(line, NULL);
out:
	pthread_mutex_unlock(&log_mu);
}

void
log_tick(void)
{
	pthread_mutex_lock(&log_mu);
	log_expire(log_now(), 0);
	pthread_mutex_unlock(&log_mu);
}

void
log_flush(void)
{
	size_t	 i;

	pthread_mutex_lock(&log_mu);
	log_expire(log_now(), 1);
	for (i = 0; i < LOG_REPEAT_SLOTS; i++)
		log_rep[i].start = 0;
	pthread_mutex_unlock(&log_mu);
}

/* Format one line: "<progname>: <message>[: <suffix>]", flattened. */
static void
log_vline(int limited, const char *fmt, va_list ap, const char *suffix)
{
	char	 msg[LOG_LINE_MAX], line[LOG_LINE_MAX];
	int	 n, p;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (suffix != NULL) {
		n = (int)strlen(msg);
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", suffix);
	}
	if ((p = snprintf(line, sizeof(line), "%s: ", log_progname)) < 0 ||
	    (size_t)p >= sizeof(line))
		return;
	log_flatten(line + p, sizeof(line) - (size_t)p, msg);
	log_emit(line, limited);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[128];
	int	 saved = errno;

	/* GNU strerror_r returns a pointer that may differ from err. */
	const char *msg = strerror_r(saved, err, sizeof(err));
	va_start(ap, fmt);
	log_vline(1, fmt, ap, msg);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(1, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(0, fmt, ap, NULL);
	va_end(ap);
}

char *
log_escape(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, o = 0;
	unsigned char	 c;

	if (dstsz == 0)
		return dst;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		/* Room for the widest escape plus "..." and the NUL. */
		if (o + 4 + 3 + 1 > dstsz) {
			if (o + 3 + 1 <= dstsz) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			dst[o++] = (char)c;
		else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return dst;
}
