/* fuzz_query.c -- libFuzzer target: the query-string parser (msg_parse_query) and its getters. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg	*m;
	const char	*err, *s;
	int64_t		 i;
	double		 d;

	if ((m = msg_parse_query((const char *)data, size, &err)) == NULL)
		return 0;
	s = msg_str(m, "action");
	if (s != NULL && msg_strlen(m, "action") != strlen(s))
		abort();	/* NULs are refused by the parser */
	(void)msg_i64(m, "time", &i);
	(void)msg_f64(m, "width", &d);
	(void)msg_to_json(m);
	msg_free(m);
	return 0;
}
