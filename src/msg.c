/* msg.c -- a vendor message (JSON object or query string) read by key (the only json-c user). */
/*
 * A struct msg is a json_object: msg_obj() casts a child back, so
 * borrowing costs no allocation, and msg_free() puts the root only.
 *
 * json-c 0.16 in strict mode still accepts what PostgreSQL's jsonb (and
 * RFC 8259) refuse: single-quoted strings, NaN, raw control characters
 * in strings, overlong and surrogate UTF-8, lone \uD800 escapes (turned
 * into U+FFFD); it silently clamps integers beyond 64 bits and keeps
 * the last value of a repeated key.  So msg_check() first validates the
 * bytes against RFC 8259 in one linear pass (depth bounded by
 * MSG_DEPTH_MAX), rejecting \u0000 (jsonb refuses it) and integers
 * beyond json-c's 64-bit range, and counts the members of every
 * object; json-c then builds the tree, and a member count lower than
 * the text's reveals a duplicate key.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "msg.h"

#define MSG_NUM_TEXT_MAX	64	/* longest number held in a string */
/* A thread keeps its tokener after bodies up to this size (its buffer grows). */
#define MSG_TOKENER_KEEP	65536

static const char MSG_E_MALFORMED[] = "malformed JSON";
static const char MSG_E_DEPTH[] = "nesting too deep";
static const char MSG_E_UTF8[] = "invalid UTF-8";
static const char MSG_E_ESCAPE[] = "invalid Unicode escape";
static const char MSG_E_NOTOBJ[] = "not a JSON object";
static const char MSG_E_NUL[] = "JSON holds a NUL character";
static const char MSG_E_DUP[] = "duplicate key";
static const char MSG_E_RANGE[] = "integer beyond 64 bits";
static const char MSG_E_BIG[] = "JSON too large";
static const char MSG_E_NOMEM[] = "out of memory";
static const char MSG_E_QUERY[] = "malformed query";
static const char MSG_E_QNUL[] = "query holds a NUL character";

#define MSG_JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct msg_scan {
	const unsigned char	*p;
	const unsigned char	*end;
	size_t			 members;
	const char		*err;
};

/* Bytes a string holds as themselves: printable ASCII but '"' and '\\'. */
static const unsigned char msg_plain[256] = {
	[0x20 ... 0x21] = 1,	/* '"' is 0x22 */
	[0x23 ... 0x5b] = 1,	/* '\\' is 0x5c */
	[0x5d ... 0x7f] = 1,
};

static json_object *
msg_jo(const struct msg *m)
{
	return (json_object *)(uintptr_t)m;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static size_t
msg_utf8_seq(const unsigned char *p, const unsigned char *end)
{
	size_t		 n, i;
	unsigned char	 lo = 0x80, hi = 0xbf;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

static int
msg_utf8_valid(const unsigned char *p, size_t len)
{
	const unsigned char	*end = p + len;
	size_t			 n;

	while (p < end) {
		if ((n = msg_utf8_seq(p, end)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

static int
msg_fail(struct msg_scan *s, const char *err)
{
	if (s->err == NULL)
		s->err = err;
	return -1;
}

static void
msg_skip_ws(struct msg_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
msg_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s->p (after "\u"); -1 if malformed. */
static long
msg_scan_u4(struct msg_scan *s)
{
	long	 v = 0;
	int	 i, h;

	if (s->end - s->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = msg_hexval(s->p[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	s->p += 4;
	return v;
}

/*
 * The bytes at p that are not msg_plain (from 0x80 up, below 0x20, '"'
 * or '\\'), as the high bit of each of 8 bytes, or 0.  The haszero
 * tests may also flag bytes after a flagged one, but the first flag is
 * always exact (a borrow starts only at a flagged byte).  Strings are
 * most of a body: 8 bytes a step, and a jump to the byte that ends the
 * run, cost a fraction of a byte loop.
 */
#define MSG_ONES	0x0101010101010101ULL
#define MSG_HIGHS	0x8080808080808080ULL
static inline uint64_t
msg_special8(const unsigned char *p)
{
	uint64_t	 w, q, b;

	memcpy(&w, p, 8);
	q = w ^ (MSG_ONES * '"');
	b = w ^ (MSG_ONES * '\\');
	return (w | (w - MSG_ONES * 0x20) | ((q - MSG_ONES) & ~q) |
	    ((b - MSG_ONES) & ~b)) & MSG_HIGHS;
}

/* Past the plain bytes at s->p. */
static inline void
msg_skip_plain(struct msg_scan *s)
{
	const unsigned char	*p = s->p, *end = s->end;
	uint64_t		 m;

	while (end - p >= 8) {
		if ((m = msg_special8(p)) != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			s->p = p + __builtin_ctzll(m) / 8;
#else
			s->p = p + __builtin_clzll(m) / 8;
#endif
			return;
		}
		p += 8;
	}
	while (p < end && msg_plain[*p])
		p++;
	s->p = p;
}

/* A string (RFC 8259 section 7) at s->p, which is '"'. */
static int
msg_scan_string(struct msg_scan *s)
{
	size_t	 n;
	long	 u, lo;

	s->p++;
	for (;;) {
		msg_skip_plain(s);
		if (s->p >= s->end)
			return msg_fail(s, MSG_E_MALFORMED);
		if (*s->p == '"') {
			s->p++;
			return 0;
		}
		if (*s->p < 0x20)
			return msg_fail(s, MSG_E_MALFORMED);
		if (*s->p >= 0x80) {
			if ((n = msg_utf8_seq(s->p, s->end)) == 0)
				return msg_fail(s, MSG_E_UTF8);
			s->p += n;
			continue;
		}
		if (*s->p != '\\') {
			s->p++;
			continue;
		}
		if (++s->p >= s->end)
			return msg_fail(s, MSG_E_MALFORMED);
		switch (*s->p++) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			break;
		case 'u':
			if ((u = msg_scan_u4(s)) < 0)
				return msg_fail(s, MSG_E_MALFORMED);
			if (u == 0)
				return msg_fail(s, MSG_E_NUL);
			if (u >= 0xdc00 && u <= 0xdfff)
				return msg_fail(s, MSG_E_ESCAPE);
			if (u < 0xd800 || u > 0xdbff)
				break;
			/* A high surrogate needs its low half next. */
			if (s->end - s->p < 2 || s->p[0] != '\\' ||
			    s->p[1] != 'u')
				return msg_fail(s, MSG_E_ESCAPE);
			s->p += 2;
			if ((lo = msg_scan_u4(s)) < 0)
				return msg_fail(s, MSG_E_MALFORMED);
			if (lo < 0xdc00 || lo > 0xdfff)
				return msg_fail(s, MSG_E_ESCAPE);
			break;
		default:
			return msg_fail(s, MSG_E_MALFORMED);
		}
	}
}

static int
msg_scan_digits(struct msg_scan *s, uint64_t *mag, int *overflow)
{
	const unsigned char	*start = s->p;
	unsigned		 d;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		d = *s->p - '0';
		if (mag != NULL) {
			if (*mag > (UINT64_MAX - d) / 10)
				*overflow = 1;
			else
				*mag = *mag * 10 + d;
		}
		s->p++;
	}
	return s->p > start ? 0 : -1;
}

/*
 * A number (RFC 8259 section 6).  Integers must fit json-c's int64
 * (negative) or uint64 (positive): beyond that json-c clamps silently.
 */
static int
msg_scan_number(struct msg_scan *s)
{
	uint64_t	 mag = 0;
	int		 neg = 0, integral = 1, overflow = 0;

	if (*s->p == '-') {
		neg = 1;
		s->p++;
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return msg_fail(s, MSG_E_MALFORMED);
	if (*s->p == '0')
		s->p++;
	else
		(void)msg_scan_digits(s, &mag, &overflow);
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		integral = 0;
		if (msg_scan_digits(s, NULL, NULL) == -1)
			return msg_fail(s, MSG_E_MALFORMED);
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		integral = 0;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (msg_scan_digits(s, NULL, NULL) == -1)
			return msg_fail(s, MSG_E_MALFORMED);
	}
	if (integral && (overflow ||
	    (neg && mag > (uint64_t)INT64_MAX + 1)))
		return msg_fail(s, MSG_E_RANGE);
	return 0;
}

static int
msg_scan_literal(struct msg_scan *s, const char *lit)
{
	size_t	 n = strlen(lit);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return msg_fail(s, MSG_E_MALFORMED);
	s->p += n;
	return 0;
}

static int	msg_scan_value(struct msg_scan *, int);

/* An object or array at s->p; depth counts the containers around it. */
static int
msg_scan_container(struct msg_scan *s, int depth)
{
	unsigned char	 close = *s->p == '{' ? '}' : ']';

	if (depth + 1 > MSG_DEPTH_MAX)
		return msg_fail(s, MSG_E_DEPTH);
	s->p++;
	msg_skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"' ||
			    msg_scan_string(s) == -1)
				return msg_fail(s, MSG_E_MALFORMED);
			msg_skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return msg_fail(s, MSG_E_MALFORMED);
			s->p++;
			s->members++;
		}
		if (msg_scan_value(s, depth + 1) == -1)
			return -1;
		msg_skip_ws(s);
		if (s->p >= s->end)
			return msg_fail(s, MSG_E_MALFORMED);
		if (*s->p == close) {
			s->p++;
			return 0;
		}
		if (*s->p != ',')
			return msg_fail(s, MSG_E_MALFORMED);
		s->p++;
		msg_skip_ws(s);
	}
}

static int
msg_scan_value(struct msg_scan *s, int depth)
{
	msg_skip_ws(s);
	if (s->p >= s->end)
		return msg_fail(s, MSG_E_MALFORMED);
	switch (*s->p) {
	case '{':
	case '[':
		return msg_scan_container(s, depth);
	case '"':
		return msg_scan_string(s);
	case 't':
		return msg_scan_literal(s, "true");
	case 'f':
		return msg_scan_literal(s, "false");
	case 'n':
		return msg_scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return msg_scan_number(s);
		return msg_fail(s, MSG_E_MALFORMED);
	}
}

/*
 * Validate buf as one RFC 8259 object with only whitespace after it.
 * Returns the number of object members in the whole text, or -1 with
 * *err set.
 */
static long
msg_check(const char *buf, size_t len, const char **err)
{
	struct msg_scan	 s;

	s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	s.members = 0;
	s.err = NULL;
	msg_skip_ws(&s);
	if (s.p < s.end && *s.p != '{') {
		*err = msg_scan_value(&s, 0) == -1 ? s.err : MSG_E_NOTOBJ;
		return -1;
	}
	if (msg_scan_value(&s, 0) == -1) {
		*err = s.err;
		return -1;
	}
	msg_skip_ws(&s);
	if (s.p != s.end) {
		*err = MSG_E_MALFORMED;
		return -1;
	}
	return (long)s.members;
}

/* 1 when o is an object or an array, which msg_count_members() descends into. */
static inline int
msg_is_container(json_object *o)
{
	enum json_type	 t = json_object_get_type(o);

	return t == json_type_object || t == json_type_array;
}

/*
 * Members of every object in the tree (depth is bounded by the parse).
 * Scalars are not descended into: a call per member cost more than
 * the count.
 */
static size_t
msg_count_members(json_object *o)
{
	size_t			 n = 0, i, len;
	struct json_object_iter	 it;
	json_object		*e;

	switch (json_object_get_type(o)) {
	case json_type_object:
		json_object_object_foreachC(o, it) {
			n++;
			if (msg_is_container(it.val))
				n += msg_count_members(it.val);
		}
		break;
	case json_type_array:
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			if (msg_is_container(e = json_object_array_get_idx(o, i)))
				n += msg_count_members(e);
		break;
	default:
		break;
	}
	return n;
}

static const char *
msg_tokener_reason(enum json_tokener_error e)
{
	switch (e) {
	case json_tokener_error_depth:
		return MSG_E_DEPTH;
	case json_tokener_error_parse_utf8_string:
		return MSG_E_UTF8;
	default:
		return MSG_E_MALFORMED;
	}
}

/*
 * Each thread keeps one tokener and resets it for the next message:
 * json_tokener_new_ex() and json_tokener_free() cost about 1,400
 * instructions a callback (their allocations).  The tokener is taken
 * out of the thread's slot while in use, so a nested parse (none today)
 * would simply make its own.
 */
static pthread_key_t	 msg_tok_key;
static pthread_once_t	 msg_tok_once = PTHREAD_ONCE_INIT;
static int		 msg_tok_ready;

static void
msg_tok_free(void *p)
{
	json_tokener_free(p);
}

static void
msg_tok_init(void)
{
	msg_tok_ready = pthread_key_create(&msg_tok_key, msg_tok_free) == 0;
}

static struct json_tokener *
msg_tokener_get(void)
{
	struct json_tokener	*tok;

	(void)pthread_once(&msg_tok_once, msg_tok_init);
	if (msg_tok_ready && (tok = pthread_getspecific(msg_tok_key)) != NULL) {
		(void)pthread_setspecific(msg_tok_key, NULL);
		json_tokener_reset(tok);
	} else if ((tok = json_tokener_new_ex(MSG_DEPTH_MAX)) == NULL)
		return NULL;
	/*
	 * No JSON_TOKENER_VALIDATE_UTF8: msg_check() has already applied
	 * RFC 3629, which is stricter than json-c's check (that one lets
	 * overlong forms and surrogates through), and the flag costs about
	 * 10,000 instructions for an 800-byte body (SPEC section 9).
	 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	return tok;
}

/* Back into the thread's slot, unless it has grown for a large body. */
static void
msg_tokener_put(struct json_tokener *tok, size_t len)
{
	if (len <= MSG_TOKENER_KEEP && msg_tok_ready &&
	    pthread_getspecific(msg_tok_key) == NULL &&
	    pthread_setspecific(msg_tok_key, tok) == 0)
		return;
	json_tokener_free(tok);
}

/*
 * Parse (buf, len) as strict JSON whose top level is an object.
 * Returns the message (msg_free() it) or NULL with *err set to a static
 * reason.
 */
struct msg *
msg_parse_json(const char *buf, size_t len, const char **err)
{
	struct json_tokener	*tok = NULL;
	json_object		*o = NULL;
	long			 members;
	const char		*dummy;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	if (len > INT_MAX) {
		*err = MSG_E_BIG;
		goto out;
	}
	if ((members = msg_check(buf, len, err)) == -1)
		goto out;
	if ((tok = msg_tokener_get()) == NULL) {
		*err = MSG_E_NOMEM;
		goto out;
	}
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o == NULL) {
		*err = msg_tokener_reason(json_tokener_get_error(tok));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		*err = MSG_E_MALFORMED;
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		*err = MSG_E_NOTOBJ;
		goto out;
	}
	if (msg_count_members(o) != (size_t)members) {
		*err = MSG_E_DUP;
		goto out;
	}
out:
	if (tok != NULL)	/* json-c 0.16 dereferences NULL in free */
		msg_tokener_put(tok, len);
	if (*err != NULL) {
		json_object_put(o);
		return NULL;
	}
	return (struct msg *)o;
}

/*
 * Percent-decode [p, end) into dst ('+' is a space).  Returns the
 * length written, or -1 on a malformed % escape.
 */
static long
msg_query_decode(const char *p, const char *end, char *dst)
{
	char	*d = dst;
	int	 hi, lo;

	while (p < end) {
		if (*p == '+') {
			*d++ = ' ';
			p++;
		} else if (*p == '%') {
			if (end - p < 3 ||
			    (hi = msg_hexval((unsigned char)p[1])) < 0 ||
			    (lo = msg_hexval((unsigned char)p[2])) < 0)
				return -1;
			*d++ = (char)(hi * 16 + lo);
			p += 3;
		} else
			*d++ = *p++;
	}
	*d = '\0';
	return d - dst;
}

/*
 * Parse an application/x-www-form-urlencoded string (WHATWG URL,
 * "application/x-www-form-urlencoded parsing") into an object of
 * strings: the first value of a repeated key wins, a key without '='
 * has the empty value, empty keys are skipped.  Decoded bytes must be
 * UTF-8 without NUL.  Returns the message or NULL with *err set.
 */
struct msg *
msg_parse_query(const char *qs, size_t len, const char **err)
{
	json_object	*root = NULL, *v;
	char		*scratch = NULL, *key, *val;
	const char	*p, *end, *pend, *eq, *dummy;
	long		 klen, vlen;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	if (len > INT_MAX) {
		*err = MSG_E_BIG;
		goto out;
	}
	if ((root = json_object_new_object()) == NULL ||
	    (scratch = malloc(len + 2)) == NULL) {
		*err = MSG_E_NOMEM;
		goto out;
	}
	p = qs;
	end = qs + len;
	while (p < end) {
		if ((pend = memchr(p, '&', (size_t)(end - p))) == NULL)
			pend = end;
		if (pend == p) {
			p++;
			continue;
		}
		if ((eq = memchr(p, '=', (size_t)(pend - p))) == NULL)
			eq = pend;
		key = scratch;
		if ((klen = msg_query_decode(p, eq, key)) == -1) {
			*err = MSG_E_QUERY;
			goto out;
		}
		val = key + klen + 1;
		vlen = msg_query_decode(eq < pend ? eq + 1 : pend, pend, val);
		if (vlen == -1) {
			*err = MSG_E_QUERY;
			goto out;
		}
		if (memchr(key, '\0', (size_t)klen) != NULL ||
		    memchr(val, '\0', (size_t)vlen) != NULL) {
			*err = MSG_E_QNUL;
			goto out;
		}
		if (!msg_utf8_valid((unsigned char *)key, (size_t)klen) ||
		    !msg_utf8_valid((unsigned char *)val, (size_t)vlen)) {
			*err = MSG_E_UTF8;
			goto out;
		}
		if (klen > 0 && !json_object_object_get_ex(root, key, NULL)) {
			if ((v = json_object_new_string_len(val,
			    (int)vlen)) == NULL ||
			    json_object_object_add(root, key, v) != 0) {
				json_object_put(v);
				*err = MSG_E_NOMEM;
				goto out;
			}
		}
		p = pend + 1;
	}
out:
	free(scratch);
	if (*err != NULL) {
		json_object_put(root);
		return NULL;
	}
	return (struct msg *)root;
}

void
msg_free(struct msg *m)
{
	json_object_put(msg_jo(m));
}

/* The value of key: 1 and *v when present (*v NULL for JSON null), else 0. */
static int
msg_get(const struct msg *m, const char *key, json_object **v)
{
	json_object	*o = msg_jo(m);

	*v = NULL;
	if (o == NULL || key == NULL || !json_object_is_type(o, json_type_object))
		return 0;
	return json_object_object_get_ex(o, key, v) ? 1 : 0;
}

const char *
msg_str(const struct msg *m, const char *key)
{
	json_object	*v;

	if (!msg_get(m, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

size_t
msg_strlen(const struct msg *m, const char *key)
{
	json_object	*v;
	int		 n;

	if (!msg_get(m, key, &v) || !json_object_is_type(v, json_type_string))
		return 0;
	n = json_object_get_string_len(v);
	return n > 0 ? (size_t)n : 0;
}

/* A string of an optional '-' and decimal digits only, into *out. */
static int
msg_str_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t	 mag = 0, lim;
	size_t		 i = 0;
	int		 neg = 0;
	unsigned	 d;

	if (len > MSG_NUM_TEXT_MAX)
		return -1;
	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (mag > (lim - d) / 10)
			return -1;
		mag = mag * 10 + d;
	}
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 0;
}

/*
 * A number, or a string holding only a decimal integer.  0 and *out,
 * 1 when absent or null, -1 when not such a number or out of range.
 */
int
msg_i64(const struct msg *m, const char *key, int64_t *out)
{
	json_object	*v;
	int64_t		 i;
	double		 d;

	if (!msg_get(m, key, &v) || v == NULL)
		return 1;
	switch (json_object_get_type(v)) {
	case json_type_int:
		/* json-c clamps a uint64 above INT64_MAX to INT64_MAX here. */
		i = json_object_get_int64(v);
		if (i == INT64_MAX &&
		    json_object_get_uint64(v) > (uint64_t)INT64_MAX)
			return -1;
		*out = i;
		return 0;
	case json_type_double:
		d = json_object_get_double(v);
		if (!isfinite(d) || d != trunc(d) || d < -0x1p63 ||
		    d >= 0x1p63)
			return -1;
		*out = (int64_t)d;
		return 0;
	case json_type_string:
		return msg_str_i64(json_object_get_string(v),
		    (size_t)json_object_get_string_len(v), out);
	default:
		return -1;
	}
}

/*
 * Like msg_i64() for a finite double; a string may hold a decimal
 * number in JSON's syntax (strtod in the C locale: livehook never
 * calls setlocale).
 */
int
msg_f64(const struct msg *m, const char *key, double *out)
{
	json_object	*v;
	const char	*s;
	char		*end;
	size_t		 len, i;
	double		 d;

	if (!msg_get(m, key, &v) || v == NULL)
		return 1;
	switch (json_object_get_type(v)) {
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)
			d = (double)json_object_get_uint64(v);
		else
			d = (double)json_object_get_int64(v);
		break;
	case json_type_double:
		d = json_object_get_double(v);
		break;
	case json_type_string:
		s = json_object_get_string(v);
		len = (size_t)json_object_get_string_len(v);
		if (len == 0 || len > MSG_NUM_TEXT_MAX || strlen(s) != len)
			return -1;
		/* JSON number syntax only: no spaces, hex, inf or nan. */
		if (s[0] != '-' && (s[0] < '0' || s[0] > '9'))
			return -1;
		for (i = 0; i < len; i++)
			if (strchr("0123456789.eE+-", s[i]) == NULL)
				return -1;
		errno = 0;
		d = strtod(s, &end);
		if (end != s + len)
			return -1;
		break;
	default:
		return -1;
	}
	if (!isfinite(d))
		return -1;
	*out = d;
	return 0;
}

const struct msg *
msg_obj(const struct msg *m, const char *key)
{
	json_object	*v;

	if (!msg_get(m, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return (const struct msg *)v;
}

int
msg_has(const struct msg *m, const char *key)
{
	json_object	*v;

	return msg_get(m, key, &v);
}

/* The text is kept in the value's own print buffer until the root goes. */
const char *
msg_json(const struct msg *m, const char *key)
{
	json_object	*v;

	if (!msg_get(m, key, &v))
		return NULL;
	return json_object_to_json_string_ext(v, MSG_JSON_FLAGS);
}

const char *
msg_to_json(const struct msg *m)
{
	if (m == NULL)
		return NULL;
	return json_object_to_json_string_ext(msg_jo(m), MSG_JSON_FLAGS);
}

/* The element of array v at idx (negative: from the end), or NULL. */
static json_object *
msg_elem_jo(const struct msg *m, const char *key, long idx)
{
	json_object	*v;
	long		 n;

	if (!msg_get(m, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	n = (long)json_object_array_length(v);
	if (idx < 0)
		idx += n;
	if (idx < 0 || idx >= n)
		return NULL;
	return json_object_array_get_idx(v, (size_t)idx);
}

const struct msg *
msg_elem(const struct msg *m, const char *key, long idx)
{
	json_object	*e = msg_elem_jo(m, key, idx);

	if (e == NULL || !json_object_is_type(e, json_type_object))
		return NULL;
	return (const struct msg *)e;
}

const char *
msg_elem_str(const struct msg *m, const char *key, long idx)
{
	json_object	*e = msg_elem_jo(m, key, idx);

	if (e == NULL || !json_object_is_type(e, json_type_string))
		return NULL;
	return json_object_get_string(e);
}

/* msg_remove() below o, path the rest of the path (len bytes). */
static int
msg_remove_at(json_object *o, const char *path, size_t len)
{
	char		 name[MSG_NUM_TEXT_MAX];
	const char	*dot = memchr(path, '.', len);
	size_t		 n = dot != NULL ? (size_t)(dot - path) : len, i;
	json_object	*v;
	int		 arr = 0, removed = 0;

	if (n >= 2 && path[n - 2] == '[' && path[n - 1] == ']') {
		arr = 1;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(name) || !json_object_is_type(o, json_type_object))
		return 0;
	memcpy(name, path, n);
	name[n] = '\0';
	if (!json_object_object_get_ex(o, name, &v))
		return 0;
	if (dot == NULL) {
		if (arr)
			return 0;
		json_object_object_del(o, name);
		return 1;
	}
	len -= (size_t)(dot + 1 - path);
	if (!arr)
		return msg_remove_at(v, dot + 1, len);
	if (!json_object_is_type(v, json_type_array))
		return 0;
	for (i = 0; i < json_object_array_length(v); i++)
		removed += msg_remove_at(json_object_array_get_idx(v, i),
		    dot + 1, len);
	return removed;
}

int
msg_remove(struct msg *m, const char *path)
{
	if (m == NULL || path == NULL)
		return 0;
	return msg_remove_at(msg_jo(m), path, strlen(path));
}
