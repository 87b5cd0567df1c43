/* buf.c -- a growable byte buffer with JSON string escaping. */
/*
 * Hand-written rather than json-c's serializer: building a json_object
 * tree per event only to print it would allocate on every request; this
 * appends into one reused buffer.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 need, cap;
	char	*p;

	if (b->failed)
		return -1;
	if (n > SIZE_MAX / 2 - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		goto fail;
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
buf_add_grow(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Two digits at a time: half the divisions (times are 13 digits). */
static const char buf_digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char *
buf_i64_digits(char out[BUF_I64_MAX], int64_t v)
{
	char		*o = out + BUF_I64_MAX;
	uint64_t	 u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	unsigned	 r;

	while (u >= 100) {
		r = (unsigned)(u % 100) * 2;
		u /= 100;
		*--o = buf_digit_pairs[r + 1];
		*--o = buf_digit_pairs[r];
	}
	if (u >= 10) {
		r = (unsigned)u * 2;
		*--o = buf_digit_pairs[r + 1];
		*--o = buf_digit_pairs[r];
	} else
		*--o = (char)('0' + u);
	if (v < 0)
		*--o = '-';
	return o;
}

void
buf_i64(struct buf *b, int64_t v)
{
	char	 tmp[BUF_I64_MAX], *d = buf_i64_digits(tmp, v);

	buf_add(b, d, (size_t)(tmp + sizeof(tmp) - d));
}

/* Bytes a JSON string holds as themselves: all but controls, '"' and '\\'. */
static const unsigned char buf_json_plain[256] = {
	[0x20 ... 0x21] = 1,	/* '"' is 0x22 */
	[0x23 ... 0x5b] = 1,	/* '\\' is 0x5c */
	[0x5d ... 0xff] = 1,
};

/*
 * Nonzero when one of the 8 bytes of w needs escaping: below 0x20, '"'
 * or '\\' (bytes from 0x80 up never match).  The classic haszero
 * tests are exact as a yes/no answer; which byte it was, the byte loop
 * finds.  Event strings are mostly plain, and a word at a time costs
 * about a quarter of the instructions of the byte loop.
 */
#define BUF_ONES	0x0101010101010101ULL
#define BUF_HIGHS	0x8080808080808080ULL
static inline uint64_t
buf_json_special(uint64_t w)
{
	uint64_t	 q = w ^ (BUF_ONES * '"'), s = w ^ (BUF_ONES * '\\');

	return ((w - BUF_ONES * 0x20) & ~w) |
	    ((q - BUF_ONES) & ~q) | ((s - BUF_ONES) & ~s);
}

/*
 * Escapes into reserved room, a slice of the input at a time (at most 6
 * output bytes per input byte), so that a long string does not reserve
 * six times its length at once.
 */
void
buf_json_str(struct buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s, *end = p + len, *stop;
	char			*o;
	uint64_t		 w;

	if (buf_reserve(b, 2) == -1)
		return;
	b->data[b->len++] = '"';
	while (p < end) {
		stop = end - p > 512 ? p + 512 : end;
		if (buf_reserve(b, (size_t)(stop - p) * 6 + 1) == -1)
			return;
		o = b->data + b->len;
		while (p < stop) {
			if (stop - p >= 8) {
				memcpy(&w, p, 8);
				if ((buf_json_special(w) & BUF_HIGHS) == 0) {
					memcpy(o, &w, 8);
					o += 8;
					p += 8;
					continue;
				}
			}
			if (buf_json_plain[*p]) {
				*o++ = (char)*p++;
				continue;
			}
			*o++ = '\\';
			switch (*p) {
			case '"':  *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			default:
				memcpy(o, "u00", 3);
				o[3] = hex[*p >> 4];
				o[4] = hex[*p & 0xf];
				o += 5;
				break;
			}
			p++;
		}
		b->len = (size_t)(o - b->data);
	}
	b->data[b->len++] = '"';
	b->data[b->len] = '\0';
}

void
buf_json_key(struct buf *b, const char *key)
{
	size_t	 n = strlen(key);
	char	*o;

	if (buf_reserve(b, n + 4) == -1)
		return;
	o = b->data + b->len;
	if (b->len > 0 && o[-1] != '{')
		*o++ = ',';
	*o++ = '"';
	memcpy(o, key, n);
	o += n;
	*o++ = '"';
	*o++ = ':';
	*o = '\0';
	b->len = (size_t)(o - b->data);
}

void
buf_insert(struct buf *b, size_t pos, const void *p, size_t n)
{
	if (pos > b->len || buf_reserve(b, n) == -1)
		return;
	memmove(b->data + pos + n, b->data + pos, b->len - pos);
	memcpy(b->data + pos, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}
