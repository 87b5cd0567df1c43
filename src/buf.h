/* buf.h -- a growable byte buffer with JSON string escaping. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	char	*data;		/* always NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* an allocation failed; contents are unusable */
};

#define BUF_INIT { NULL, 0, 0, 0 }

void	buf_reset(struct buf *);	/* len = 0, keeps the memory */
void	buf_free(struct buf *);
void	buf_add(struct buf *, const void *, size_t);
void	buf_adds(struct buf *, const char *);
void	buf_addc(struct buf *, char);
void	buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
/* Append a decimal integer (no printf: this is on every request's path). */
void	buf_i64(struct buf *, int64_t);
/* Append s as a quoted JSON string (RFC 8259 section 7). */
void	buf_json_str(struct buf *, const char *s, size_t len);
/* Append "key": with a leading comma unless the object was just opened. */
void	buf_json_key(struct buf *, const char *key);

#endif
