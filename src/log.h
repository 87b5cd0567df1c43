/* log.h -- one line per event on stderr, err(3) style. */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

/* Longest line written; longer messages are cut. */
#define LOG_LINE_MAX 1024

void	log_init(const char *progname);
/* Appends ": strerror(errno)". */
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Copy untrusted bytes into dst (size dstsz, always NUL-terminated),
 * escaping everything outside printable ASCII as \xNN and cutting with
 * "..." when it does not fit.  Returns dst.
 */
char	*log_escape(char *dst, size_t dstsz, const char *src, size_t len);

#endif
