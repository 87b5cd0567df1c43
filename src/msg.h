/* msg.h -- a vendor message: a JSON object or a query string, read by key (the only json-c user). */
#ifndef MSG_H
#define MSG_H

#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this is refused. */
#define MSG_DEPTH_MAX	16

/*
 * Opaque.  A parsed message is owned by its root: msg_free() the root
 * only; messages returned by msg_obj() are borrowed from it.
 */
struct msg;

/*
 * Parse len bytes of strict JSON (UTF-8 validated) whose top level is an
 * object.  Returns NULL with *err set to a static reason on failure.
 */
struct msg	*msg_parse_json(const char *buf, size_t len, const char **err);
/*
 * Parse an application/x-www-form-urlencoded query string: '+' is a
 * space, %XX is decoded, a repeated key keeps its first value.
 */
struct msg	*msg_parse_query(const char *qs, size_t len, const char **err);
void		 msg_free(struct msg *);

/* The value of key as a string if it is a JSON string; else NULL. */
const char	*msg_str(const struct msg *, const char *key);
/* Length of the same string (strings may hold NUL bytes). */
size_t		 msg_strlen(const struct msg *, const char *key);
/*
 * A number, or a string holding only a decimal number (vendors send both).
 * Returns 0 and stores it, 1 when the key is absent or null, -1 when the
 * value is not such a number or is out of range.
 */
int		 msg_i64(const struct msg *, const char *key, int64_t *out);
int		 msg_f64(const struct msg *, const char *key, double *out);
/* A nested object (borrowed), or NULL. */
const struct msg *msg_obj(const struct msg *, const char *key);
/* 1 if key is present (any type). */
int		 msg_has(const struct msg *, const char *key);
/*
 * The value of key (any type) as compact JSON text, borrowed until the
 * root is freed; NULL when absent.
 */
const char	*msg_json(const struct msg *, const char *key);
/* The whole message as compact JSON text, borrowed like msg_json(). */
const char	*msg_to_json(const struct msg *);
/*
 * Element idx of the array at key (a negative idx counts from the end):
 * msg_elem() an object (borrowed), msg_elem_str() a string; NULL when
 * there is no such element of that type.
 */
const struct msg *msg_elem(const struct msg *, const char *key, long idx);
const char	*msg_elem_str(const struct msg *, const char *key, long idx);
/*
 * Remove what path names from m, a message this caller owns (a
 * credential that must not be stored): "a.b" is member b of object a,
 * "a[].b" member b of every object of array a.  Returns how many
 * members were removed.
 */
int		 msg_remove(struct msg *, const char *path);

#endif
