/* fuzz_json.c -- libFuzzer target: msg_parse_json() against json-c's tokener on the same bytes. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Differ: print both and abort, so that libFuzzer keeps the input. */
static void
differ(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz_json: %s differs:\n  msg:    %s\n  json-c: %s\n",
	    what, a != NULL ? a : "(null)", b != NULL ? b : "(null)");
	abort();
}

/*
 * What msg.c accepts, json-c's strict tokener must accept too (msg.c is
 * the stricter), and both must print the same text and read the same
 * strings; the reverse does not hold (json-c lets through what jsonb
 * refuses: msg.c).
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener	*tok;
	struct json_object_iter	 it;
	json_object		*o;
	struct msg		*m;
	const char		*err, *a, *b;
	int64_t			 i;
	double			 d;
	size_t			 n;
	int			 all = 1;

	if ((m = msg_parse_json((const char *)data, size, &err)) == NULL)
		return 0;
	if ((tok = json_tokener_new()) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if ((o = json_tokener_parse_ex(tok, (const char *)data, (int)size)) == NULL)
		differ("acceptance", "accepted", "refused");
	a = msg_to_json(m);
	b = json_object_to_json_string_ext(o, FLAGS);
	if (a == NULL || strcmp(a, b) != 0)
		differ("msg_to_json", a, b);
	json_object_object_foreachC(o, it) {
		a = msg_json(m, it.key);
		b = json_object_to_json_string_ext(it.val, FLAGS);
		if (a == NULL || strcmp(a, b) != 0)
			differ("msg_json", a, b);
		a = msg_str(m, it.key);
		b = json_object_is_type(it.val, json_type_string) ?
		    json_object_get_string(it.val) : NULL;
		if ((a == NULL) != (b == NULL) || (a != NULL && (strcmp(a, b) != 0 ||
		    msg_strlen(m, it.key) != (size_t)json_object_get_string_len(it.val))))
			differ("msg_str", a, b);
		(void)msg_i64(m, it.key, &i);
		(void)msg_f64(m, it.key, &d);
		(void)msg_elem_str(m, it.key, -1);
		(void)msg_obj(m, it.key);
		/* A key msg_remove() reads as a path stays. */
		n = strlen(it.key);
		if (n == 0 || n >= 64 || strchr(it.key, '.') != NULL ||
		    (n >= 2 && strcmp(it.key + n - 2, "[]") == 0))
			all = 0;
		else if (msg_remove(m, it.key) != 1)
			differ("msg_remove", it.key, "removed");
	}
	if (all && ((a = msg_to_json(m)) == NULL || strcmp(a, "{}") != 0))
		differ("msg_to_json after removing every member", a, "{}");
	json_object_put(o);
	json_tokener_free(tok);
	msg_free(m);
	return 0;
}
