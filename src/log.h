/* log.h -- one line per event on stderr, err(3) style. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

/* Longest line written; longer messages are cut. */
#define LOG_LINE_MAX 1024

/*
 * Warnings that repeat (the same text but for its numbers: addresses,
 * pids, file names with times) are written once per window: the first at
 * once, the others counted and summed up in one line, the last of them
 * with " (repeated N times)", when the window ends.
 */
#define LOG_REPEAT_WINDOW	5	/* seconds */
/* Different repeating messages followed at once; the oldest gives way. */
#define LOG_REPEAT_SLOTS	64

void	log_init(const char *progname);
/*
 * Every line starts with "<progname>: " and is one line: line breaks in
 * the message (libpq's, say) become " | ", other control bytes '?'.
 * log_warn appends ": strerror(errno)".  log_warn and log_warnx are
 * rate-limited as above; log_info is not.
 */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write the summaries of the windows that have ended (call about once a second). */
void	log_tick(void);
/* Write every pending summary now (before exit). */
void	log_flush(void);

/*
 * Copy untrusted bytes into dst (size dstsz, always NUL-terminated),
 * escaping everything outside printable ASCII as \xNN and cutting with
 * "..." when it does not fit.  Returns dst.
 */
char	*log_escape(char *dst, size_t dstsz, const char *src, size_t len);

#endif
