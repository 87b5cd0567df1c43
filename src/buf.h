/* buf.h -- a growable byte buffer with JSON string escaping. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char	*data;		/* always NUL-terminated when len > 0 */
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* an allocation failed; contents are unusable */
};

#define BUF_INIT { NULL, 0, 0, 0 }

void	buf_reset(struct buf *);	/* len = 0, keeps the memory */
void	buf_free(struct buf *);
/* Make room for n more bytes and the NUL: 0, or -1 (sets failed). */
int	buf_reserve(struct buf *, size_t n);
void	buf_add_grow(struct buf *, const void *, size_t);
void	buf_printf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
/* Insert n bytes at pos (at most len), moving what follows. */
void	buf_insert(struct buf *, size_t pos, const void *, size_t n);
/* Append a decimal integer (no printf: this is on every request's path). */
void	buf_i64(struct buf *, int64_t);
/* The digits of v, without NUL, at the end of out; returns their start. */
#define BUF_I64_MAX	20
char	*buf_i64_digits(char out[BUF_I64_MAX], int64_t);
/* Append s as a quoted JSON string (RFC 8259 section 7). */
void	buf_json_str(struct buf *, const char *s, size_t len);
/* Append "key": with a leading comma unless the object was just opened. */
void	buf_json_key(struct buf *, const char *key);

/*
 * Appending is inline while the capacity suffices (the request path adds
 * some hundred small pieces per event); buf_add_grow() does the rest.
 * After a failed allocation every add is a no-op.
 */
static inline void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len > n && !b->failed) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
	} else
		buf_add_grow(b, p, n);
}

static inline void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static inline void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

/* Append the low n bytes (at most 8) of u, big-endian (network order). */
static inline void
buf_add_be(struct buf *b, uint64_t u, size_t n)
{
	unsigned char	 x[8];
	size_t		 i;

	for (i = n; i > 0; i--, u >>= 8)
		x[i - 1] = u & 0xff;
	buf_add(b, x, n);
}

/* Read n bytes (at most 8) at p as a big-endian number. */
static inline uint64_t
buf_get_be(const void *p, size_t n)
{
	const unsigned char	*c = p;
	uint64_t		 u = 0;

	while (n-- > 0)
		u = u << 8 | *c++;
	return u;
}
#endif
