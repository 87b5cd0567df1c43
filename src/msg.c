/* msg.c -- a vendor message (JSON object or query string) read by key (the only json-c user). */
/*
 * A message is read straight from its text.  One linear pass validates
 * the bytes against RFC 8259 (json-c 0.16, even in strict mode, accepts
 * single-quoted strings, NaN, raw control characters in strings,
 * overlong and surrogate UTF-8 and lone \uD800 escapes, clamps integers
 * beyond 64 bits and keeps the last of a repeated key; PostgreSQL's
 * jsonb refuses most of these) and, as it goes, records every value as
 * a node: its type, its key, and its text, with strings decoded into
 * one arena.  Members are found by comparing keys, as a handful of
 * lookups in an object of a dozen members costs less than hashing them.
 *
 * json-c builds a tree only when JSON text has to be written: msg_json()
 * and msg_to_json() turn nodes into json_objects and print them, so the
 * text is json-c's serialization, as it was when json-c parsed every
 * message.  Hand-written rather than json-c's tokener for the reading:
 * the tree (an allocation per value, a hash table per object) was half
 * of what a callback cost to route, decode, verify and prepare
 * (bench/cost: some 18,000 of 39,000 instructions for an Aliyun record
 * callback), and the strict pass above had to walk the text anyway.
 *
 * A struct msg is a node; the root's node is the first of its document,
 * msg_obj() and msg_elem() return a child's node (borrowed), and
 * msg_free() frees the document through the root.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "msg.h"

#define MSG_NUM_TEXT_MAX	64	/* longest number held in a string */
/* Objects with more members than this are checked for repeated keys by sorting. */
#define MSG_DUP_PAIRWISE	24

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

enum msg_type {
	MSG_NULL,
	MSG_BOOL,
	MSG_INT,		/* a number without fraction or exponent */
	MSG_REAL,		/* a number with either */
	MSG_STRING,
	MSG_OBJECT,
	MSG_ARRAY,
};

struct msg_doc;

/* One value.  Nodes refer to each other by index into their document's array. */
struct msg {
	struct msg_doc	*doc;
	const char	*key;		/* decoded member name; NULL in an array or at the root */
	const char	*val;		/* a string decoded, a number's text, "true" or "false" */
	uint32_t	 keylen;
	uint32_t	 vallen;
	uint32_t	 child;		/* first member or element, 0 for none */
	uint32_t	 next;		/* next member or element, 0 for none */
	uint32_t	 count;		/* members or elements */
	uint8_t		 type;		/* enum msg_type */
	uint8_t		 removed;	/* msg_remove() took it out */
};

struct msg_doc {
	struct msg	*nodes;		/* nodes[0] is the root */
	size_t		 nnodes;
	size_t		 cap;
	json_object	**kept;		/* printed by msg_json() and msg_to_json() */
	size_t		 nkept;
	size_t		 capkept;
	char		*arena;		/* decoded strings and numbers' text, NUL-terminated */
	size_t		 used;
	size_t		 size;
};

struct msg_scan {
	const unsigned char	*p;
	const unsigned char	*end;
	struct msg_doc		*doc;
	const char		*err;
};

/* Bytes a string holds as themselves: printable ASCII but '"' and '\\'. */
static const unsigned char msg_plain[256] = {
	[0x20 ... 0x21] = 1,	/* '"' is 0x22 */
	[0x23 ... 0x5b] = 1,	/* '\\' is 0x5c */
	[0x5d ... 0x7f] = 1,
};

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

/*
 * A document with a root node and room for arena bytes of decoded text;
 * cap nodes before the array grows.  NULL when out of memory.
 */
static struct msg_doc *
msg_doc_new(size_t arena, size_t cap)
{
	struct msg_doc	*doc;

	if ((doc = malloc(sizeof(*doc) + arena)) == NULL)
		return NULL;
	memset(doc, 0, sizeof(*doc));
	doc->arena = (char *)(doc + 1);
	doc->size = arena;
	doc->cap = cap;
	if ((doc->nodes = malloc(cap * sizeof(*doc->nodes))) == NULL) {
		free(doc);
		return NULL;
	}
	memset(&doc->nodes[0], 0, sizeof(doc->nodes[0]));
	doc->nnodes = 1;
	return doc;
}

static void
msg_doc_free(struct msg_doc *doc)
{
	size_t	 i;

	/* The trees first: their keys are the arena's (JSON_C_OBJECT_ADD_CONSTANT_KEY). */
	for (i = 0; i < doc->nkept; i++)
		json_object_put(doc->kept[i]);
	free(doc->kept);
	free(doc->nodes);
	free(doc);
}

/* The parsed document's root, every node pointing back at it. */
static struct msg *
msg_doc_done(struct msg_doc *doc)
{
	size_t	 i;

	for (i = 0; i < doc->nnodes; i++)
		doc->nodes[i].doc = doc;
	return &doc->nodes[0];
}

/* A new zeroed node's index, or 0 (out of memory, s->err set). */
static uint32_t
msg_node_add(struct msg_scan *s)
{
	struct msg_doc	*doc = s->doc;
	struct msg	*n;

	if (doc->nnodes == doc->cap) {
		if (doc->cap > UINT32_MAX / 2 ||
		    (n = realloc(doc->nodes, doc->cap * 2 * sizeof(*n))) == NULL) {
			(void)msg_fail(s, MSG_E_NOMEM);
			return 0;
		}
		doc->nodes = n;
		doc->cap *= 2;
	}
	memset(&doc->nodes[doc->nnodes], 0, sizeof(doc->nodes[0]));
	return (uint32_t)doc->nnodes++;
}

static int
msg_node_cmp(const void *a, const void *b)
{
	const struct msg	*x = *(const struct msg *const *)a;
	const struct msg	*y = *(const struct msg *const *)b;
	int			 c;

	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	if ((c = memcmp(x->key, y->key, x->keylen)) != 0)
		return c;
	return x < y ? -1 : x > y;	/* the earlier member first */
}

static inline int
msg_key_eq(const struct msg *a, const struct msg *b)
{
	return a->keylen == b->keylen && memcmp(a->key, b->key, a->keylen) == 0;
}

/*
 * Members of object idx whose key an earlier member has.  With
 * first_wins (a query string) they are removed and counted; else the
 * count stops at the first.  -1 when out of memory.  Large objects are
 * sorted, so that a body of many keys costs n log n, not n squared.
 */
static long
msg_dups(struct msg_doc *doc, uint32_t idx, int first_wins)
{
	struct msg	*nodes = doc->nodes, **v;
	size_t		 n = nodes[idx].count, k = 0;
	uint32_t	 i, j;
	long		 dups = 0;

	if (n <= MSG_DUP_PAIRWISE) {
		for (i = nodes[idx].child; i != 0; i = nodes[i].next) {
			if (nodes[i].removed)
				continue;
			for (j = nodes[i].next; j != 0; j = nodes[j].next) {
				if (nodes[j].removed || !msg_key_eq(&nodes[i], &nodes[j]))
					continue;
				if (!first_wins)
					return 1;
				nodes[j].removed = 1;
				dups++;
			}
		}
		return dups;
	}
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return -1;
	for (i = nodes[idx].child; i != 0; i = nodes[i].next)
		v[k++] = &nodes[i];
	qsort(v, n, sizeof(*v), msg_node_cmp);
	for (k = 1; k < n; k++) {
		if (!msg_key_eq(v[k - 1], v[k]))
			continue;
		dups++;
		if (!first_wins)
			break;
		v[k]->removed = 1;
	}
	free(v);
	return dups;
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

/* The UTF-8 of code point u (at most U+10FFFF) at d; the byte after it. */
static char *
msg_utf8_put(char *d, unsigned long u)
{
	if (u < 0x80)
		*d++ = (char)u;
	else if (u < 0x800) {
		*d++ = (char)(0xc0 | u >> 6);
		*d++ = (char)(0x80 | (u & 0x3f));
	} else if (u < 0x10000) {
		*d++ = (char)(0xe0 | u >> 12);
		*d++ = (char)(0x80 | (u >> 6 & 0x3f));
		*d++ = (char)(0x80 | (u & 0x3f));
	} else {
		*d++ = (char)(0xf0 | u >> 18);
		*d++ = (char)(0x80 | (u >> 12 & 0x3f));
		*d++ = (char)(0x80 | (u >> 6 & 0x3f));
		*d++ = (char)(0x80 | (u & 0x3f));
	}
	return d;
}

/*
 * A string (RFC 8259 section 7) at s->p, which is '"', decoded into the
 * arena as *out (NUL-terminated; \u0000 is refused) of *outlen bytes.
 * The decoded text is shorter than the quoted one, so the arena (twice
 * the body) always has room.
 */
static int
msg_scan_string(struct msg_scan *s, const char **out, uint32_t *outlen)
{
	struct msg_doc		*doc = s->doc;
	char			*start = doc->arena + doc->used, *d = start;
	const unsigned char	*run;
	size_t			 n;
	long			 u, lo;

	s->p++;
	for (;;) {
		run = s->p;
		msg_skip_plain(s);
		if (s->p > run) {
			memcpy(d, run, (size_t)(s->p - run));
			d += s->p - run;
		}
		if (s->p >= s->end)
			return msg_fail(s, MSG_E_MALFORMED);
		if (*s->p == '"') {
			s->p++;
			*d = '\0';
			*out = start;
			*outlen = (uint32_t)(d - start);
			doc->used = (size_t)(d + 1 - doc->arena);
			return 0;
		}
		if (*s->p < 0x20)
			return msg_fail(s, MSG_E_MALFORMED);
		if (*s->p >= 0x80) {
			if ((n = msg_utf8_seq(s->p, s->end)) == 0)
				return msg_fail(s, MSG_E_UTF8);
			memcpy(d, s->p, n);
			d += n;
			s->p += n;
			continue;
		}
		if (*s->p != '\\') {
			*d++ = (char)*s->p++;
			continue;
		}
		if (++s->p >= s->end)
			return msg_fail(s, MSG_E_MALFORMED);
		switch (*s->p++) {
		case '"':
			*d++ = '"';
			break;
		case '\\':
			*d++ = '\\';
			break;
		case '/':
			*d++ = '/';
			break;
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'u':
			if ((u = msg_scan_u4(s)) < 0)
				return msg_fail(s, MSG_E_MALFORMED);
			if (u == 0)
				return msg_fail(s, MSG_E_NUL);
			if (u >= 0xdc00 && u <= 0xdfff)
				return msg_fail(s, MSG_E_ESCAPE);
			if (u >= 0xd800 && u <= 0xdbff) {
				/* A high surrogate needs its low half next. */
				if (s->end - s->p < 2 || s->p[0] != '\\' ||
				    s->p[1] != 'u')
					return msg_fail(s, MSG_E_ESCAPE);
				s->p += 2;
				if ((lo = msg_scan_u4(s)) < 0)
					return msg_fail(s, MSG_E_MALFORMED);
				if (lo < 0xdc00 || lo > 0xdfff)
					return msg_fail(s, MSG_E_ESCAPE);
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			d = msg_utf8_put(d, (unsigned long)u);
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
 * A number (RFC 8259 section 6) into node idx, its text copied to the
 * arena.  Integers must fit an int64 (negative) or a uint64 (positive),
 * the range json-c holds.
 */
static int
msg_scan_number(struct msg_scan *s, uint32_t idx)
{
	struct msg_doc		*doc = s->doc;
	struct msg		*n = &doc->nodes[idx];
	const unsigned char	*start = s->p;
	uint64_t		 mag = 0;
	size_t			 len;
	char			*d;
	int			 neg = 0, integral = 1, overflow = 0;

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
	len = (size_t)(s->p - start);
	d = doc->arena + doc->used;
	memcpy(d, start, len);
	d[len] = '\0';
	doc->used += len + 1;
	n->type = integral ? MSG_INT : MSG_REAL;
	n->val = d;
	n->vallen = (uint32_t)len;
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

static int	msg_scan_value(struct msg_scan *, int, uint32_t);

/*
 * An object or array at s->p into node idx, its members or elements
 * into new nodes; depth counts the containers around it.
 */
static int
msg_scan_container(struct msg_scan *s, int depth, uint32_t idx)
{
	struct msg_doc	*doc = s->doc;
	unsigned char	 close = *s->p == '{' ? '}' : ']';
	const char	*key = NULL;
	uint32_t	 keylen = 0, c, prev = 0, count = 0;

	if (depth + 1 > MSG_DEPTH_MAX)
		return msg_fail(s, MSG_E_DEPTH);
	doc->nodes[idx].type = close == '}' ? MSG_OBJECT : MSG_ARRAY;
	s->p++;
	msg_skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"' ||
			    msg_scan_string(s, &key, &keylen) == -1)
				return msg_fail(s, MSG_E_MALFORMED);
			msg_skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return msg_fail(s, MSG_E_MALFORMED);
			s->p++;
		}
		if ((c = msg_node_add(s)) == 0)
			return -1;
		doc->nodes[c].key = key;
		doc->nodes[c].keylen = keylen;
		if (prev == 0)
			doc->nodes[idx].child = c;
		else
			doc->nodes[prev].next = c;
		prev = c;
		count++;
		if (msg_scan_value(s, depth + 1, c) == -1)
			return -1;
		msg_skip_ws(s);
		if (s->p >= s->end)
			return msg_fail(s, MSG_E_MALFORMED);
		if (*s->p == close)
			break;
		if (*s->p != ',')
			return msg_fail(s, MSG_E_MALFORMED);
		s->p++;
		msg_skip_ws(s);
	}
	s->p++;
	doc->nodes[idx].count = count;
	if (close == '}') {
		switch (msg_dups(doc, idx, 0)) {
		case 0:
			break;
		case -1:
			return msg_fail(s, MSG_E_NOMEM);
		default:
			return msg_fail(s, MSG_E_DUP);
		}
	}
	return 0;
}

/* Any value at s->p into node idx. */
static int
msg_scan_value(struct msg_scan *s, int depth, uint32_t idx)
{
	struct msg	*n;

	msg_skip_ws(s);
	if (s->p >= s->end)
		return msg_fail(s, MSG_E_MALFORMED);
	n = &s->doc->nodes[idx];
	switch (*s->p) {
	case '{':
	case '[':
		return msg_scan_container(s, depth, idx);
	case '"':
		n->type = MSG_STRING;
		return msg_scan_string(s, &n->val, &n->vallen);
	case 't':
		n->type = MSG_BOOL;
		n->val = "true";
		return msg_scan_literal(s, "true");
	case 'f':
		n->type = MSG_BOOL;
		n->val = "false";
		return msg_scan_literal(s, "false");
	case 'n':
		n->type = MSG_NULL;
		return msg_scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return msg_scan_number(s, idx);
		return msg_fail(s, MSG_E_MALFORMED);
	}
}

/*
 * Parse (buf, len) as strict JSON whose top level is an object, with
 * only whitespace after it.  Returns the message (msg_free() it) or
 * NULL with *err set to a static reason.
 */
struct msg *
msg_parse_json(const char *buf, size_t len, const char **err)
{
	struct msg_scan	 s;
	struct msg_doc	*doc;
	const char	*dummy;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	if (len > INT_MAX) {
		*err = MSG_E_BIG;
		return NULL;
	}
	/* Room for every string decoded and every number's text with its NUL. */
	if ((doc = msg_doc_new(2 * len + 1, len / 16 + 4)) == NULL) {
		*err = MSG_E_NOMEM;
		return NULL;
	}
	s.p = (const unsigned char *)buf;
	s.end = s.p + len;
	s.doc = doc;
	s.err = NULL;
	msg_skip_ws(&s);
	if (s.p < s.end && *s.p != '{')
		*err = msg_scan_value(&s, 0, 0) == -1 ? s.err : MSG_E_NOTOBJ;
	else if (msg_scan_value(&s, 0, 0) == -1)
		*err = s.err;
	else {
		msg_skip_ws(&s);
		if (s.p != s.end)
			*err = MSG_E_MALFORMED;
	}
	if (*err != NULL) {
		msg_doc_free(doc);
		return NULL;
	}
	return msg_doc_done(doc);
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
	struct msg_scan	 s;
	struct msg_doc	*doc;
	char		*key, *val;
	const char	*p, *end, *pend, *eq, *dummy;
	long		 klen, vlen;
	uint32_t	 c, prev = 0, count = 0;

	if (err == NULL)
		err = &dummy;
	*err = NULL;
	if (len > INT_MAX) {
		*err = MSG_E_BIG;
		return NULL;
	}
	/* Each pair decoded is no longer than itself, plus two NULs. */
	if ((doc = msg_doc_new(3 * len + 2, 8)) == NULL) {
		*err = MSG_E_NOMEM;
		return NULL;
	}
	s.doc = doc;
	s.err = NULL;
	doc->nodes[0].type = MSG_OBJECT;
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
		key = doc->arena + doc->used;
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
		if (klen > 0) {
			if ((c = msg_node_add(&s)) == 0) {
				*err = s.err;
				goto out;
			}
			doc->nodes[c].type = MSG_STRING;
			doc->nodes[c].key = key;
			doc->nodes[c].keylen = (uint32_t)klen;
			doc->nodes[c].val = val;
			doc->nodes[c].vallen = (uint32_t)vlen;
			if (prev == 0)
				doc->nodes[0].child = c;
			else
				doc->nodes[prev].next = c;
			prev = c;
			count++;
			doc->used += (size_t)(klen + vlen + 2);
		}
		p = pend + 1;
	}
	doc->nodes[0].count = count;
	if (msg_dups(doc, 0, 1) == -1)
		*err = MSG_E_NOMEM;
out:
	if (*err != NULL) {
		msg_doc_free(doc);
		return NULL;
	}
	return msg_doc_done(doc);
}

void
msg_free(struct msg *m)
{
	if (m != NULL)
		msg_doc_free(m->doc);
}

/* Member key of object m, unless msg_remove() took it out; else NULL. */
static const struct msg *
msg_get(const struct msg *m, const char *key)
{
	const struct msg	*nodes, *c;
	size_t			 len;
	uint32_t		 i;

	if (m == NULL || key == NULL || m->type != MSG_OBJECT)
		return NULL;
	len = strlen(key);
	nodes = m->doc->nodes;
	for (i = m->child; i != 0; i = c->next) {
		c = &nodes[i];
		if (c->keylen == len && !c->removed &&
		    memcmp(c->key, key, len) == 0)
			return c;
	}
	return NULL;
}

const char *
msg_str(const struct msg *m, const char *key)
{
	const struct msg	*v = msg_get(m, key);

	return v != NULL && v->type == MSG_STRING ? v->val : NULL;
}

size_t
msg_strlen(const struct msg *m, const char *key)
{
	const struct msg	*v = msg_get(m, key);

	return v != NULL && v->type == MSG_STRING ? v->vallen : 0;
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
	const struct msg	*v;
	double			 d;

	if ((v = msg_get(m, key)) == NULL || v->type == MSG_NULL)
		return 1;
	switch (v->type) {
	case MSG_INT:		/* above INT64_MAX: out of range */
	case MSG_STRING:
		return msg_str_i64(v->val, v->vallen, out);
	case MSG_REAL:
		d = strtod(v->val, NULL);
		if (!isfinite(d) || d != trunc(d) || d < -0x1p63 ||
		    d >= 0x1p63)
			return -1;
		*out = (int64_t)d;
		return 0;
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
	const struct msg	*v;
	const char		*s;
	char			*end;
	size_t			 len, i;
	double			 d;

	if ((v = msg_get(m, key)) == NULL || v->type == MSG_NULL)
		return 1;
	switch (v->type) {
	case MSG_INT:		/* in range: msg_scan_number() */
		if (v->val[0] == '-')
			d = (double)strtoll(v->val, NULL, 10);
		else
			d = (double)strtoull(v->val, NULL, 10);
		break;
	case MSG_REAL:
		d = strtod(v->val, NULL);
		break;
	case MSG_STRING:
		s = v->val;
		len = v->vallen;
		if (len == 0 || len > MSG_NUM_TEXT_MAX)
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
	const struct msg	*v = msg_get(m, key);

	return v != NULL && v->type == MSG_OBJECT ? v : NULL;
}

int
msg_has(const struct msg *m, const char *key)
{
	return msg_get(m, key) != NULL;
}

/* An integer as json-c's tokener makes it: int64, or uint64 above INT64_MAX. */
static json_object *
msg_build_int(const struct msg *v)
{
	uint64_t	 u;

	if (v->val[0] == '-')
		return json_object_new_int64(strtoll(v->val, NULL, 10));
	u = strtoull(v->val, NULL, 10);
	if (u <= (uint64_t)INT64_MAX)
		return json_object_new_int64((int64_t)u);
	return json_object_new_uint64(u);
}

/*
 * The json-c tree of node v into *out (NULL for JSON null), without
 * what msg_remove() took out.  0, or -1 when out of memory.
 */
static int
msg_build(const struct msg *v, json_object **out)
{
	const struct msg	*nodes = v->doc->nodes, *c;
	json_object		*o = NULL, *e;
	uint32_t		 i;

	*out = NULL;
	switch (v->type) {
	case MSG_NULL:
		return 0;
	case MSG_BOOL:
		o = json_object_new_boolean(v->val[0] == 't');
		break;
	case MSG_INT:
		o = msg_build_int(v);
		break;
	case MSG_REAL:
		/* As json-c's tokener: printed as the text it was read from. */
		o = json_object_new_double_s(strtod(v->val, NULL), v->val);
		break;
	case MSG_STRING:
		o = json_object_new_string_len(v->val, (int)v->vallen);
		break;
	case MSG_OBJECT:
		if ((o = json_object_new_object()) == NULL)
			return -1;
		for (i = v->child; i != 0; i = c->next) {
			c = &nodes[i];
			if (c->removed)
				continue;
			if (msg_build(c, &e) == -1 ||
			    json_object_object_add_ex(o, c->key, e,
			    JSON_C_OBJECT_ADD_KEY_IS_NEW |
			    JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0) {
				json_object_put(e);
				json_object_put(o);
				return -1;
			}
		}
		break;
	case MSG_ARRAY:
		if ((o = json_object_new_array()) == NULL)	/* _ext: 0.16 */
			return -1;
		for (i = v->child; i != 0; i = c->next) {
			c = &nodes[i];
			if (msg_build(c, &e) == -1 ||
			    json_object_array_add(o, e) != 0) {
				json_object_put(e);
				json_object_put(o);
				return -1;
			}
		}
		break;
	}
	if (o == NULL)
		return -1;
	*out = o;
	return 0;
}

/* v as compact JSON text, kept until the root is freed; NULL when out of memory. */
static const char *
msg_print(const struct msg *v)
{
	struct msg_doc	*doc = v->doc;
	json_object	*o, **k;
	size_t		 cap;

	if (v->type == MSG_NULL)
		return "null";
	if (doc->nkept == doc->capkept) {
		cap = doc->capkept > 0 ? doc->capkept * 2 : 4;
		if ((k = realloc(doc->kept, cap * sizeof(*k))) == NULL)
			return NULL;
		doc->kept = k;
		doc->capkept = cap;
	}
	if (msg_build(v, &o) == -1)
		return NULL;
	doc->kept[doc->nkept++] = o;
	return json_object_to_json_string_ext(o, MSG_JSON_FLAGS);
}

const char *
msg_json(const struct msg *m, const char *key)
{
	const struct msg	*v = msg_get(m, key);

	return v != NULL ? msg_print(v) : NULL;
}

const char *
msg_to_json(const struct msg *m)
{
	return m != NULL ? msg_print(m) : NULL;
}

/* The element of array key at idx (negative: from the end), or NULL. */
static const struct msg *
msg_elem_node(const struct msg *m, const char *key, long idx)
{
	const struct msg	*v = msg_get(m, key);
	uint32_t		 i;
	long			 n;

	if (v == NULL || v->type != MSG_ARRAY)
		return NULL;
	n = (long)v->count;
	if (idx < 0)
		idx += n;
	if (idx < 0 || idx >= n)
		return NULL;
	for (i = v->child; idx > 0; idx--)
		i = v->doc->nodes[i].next;
	return &v->doc->nodes[i];
}

const struct msg *
msg_elem(const struct msg *m, const char *key, long idx)
{
	const struct msg	*e = msg_elem_node(m, key, idx);

	return e != NULL && e->type == MSG_OBJECT ? e : NULL;
}

const char *
msg_elem_str(const struct msg *m, const char *key, long idx)
{
	const struct msg	*e = msg_elem_node(m, key, idx);

	return e != NULL && e->type == MSG_STRING ? e->val : NULL;
}

/* msg_remove() below o, path the rest of the path (len bytes). */
static int
msg_remove_at(const struct msg *o, const char *path, size_t len)
{
	char			 name[MSG_NUM_TEXT_MAX];
	const char		*dot = memchr(path, '.', len);
	size_t			 n = dot != NULL ? (size_t)(dot - path) : len;
	const struct msg	*v;
	uint32_t		 i;
	int			 arr = 0, removed = 0;

	if (n >= 2 && path[n - 2] == '[' && path[n - 1] == ']') {
		arr = 1;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, path, n);
	name[n] = '\0';
	if ((v = msg_get(o, name)) == NULL)
		return 0;
	if (dot == NULL) {
		if (arr)
			return 0;
		/* The caller owns the message (msg.h): its nodes are ours to mark. */
		((struct msg *)(uintptr_t)v)->removed = 1;
		return 1;
	}
	len -= (size_t)(dot + 1 - path);
	if (!arr)
		return msg_remove_at(v, dot + 1, len);
	if (v->type != MSG_ARRAY)
		return 0;
	for (i = v->child; i != 0; i = v->doc->nodes[i].next)
		removed += msg_remove_at(&v->doc->nodes[i], dot + 1, len);
	return removed;
}

int
msg_remove(struct msg *m, const char *path)
{
	if (m == NULL || path == NULL)
		return 0;
	return msg_remove_at(m, path, strlen(path));
}
