/* fixture.h -- one vendor test case read from tests/data/<vendor>/<name>.case. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>

#define FIXTURE_MAX	64	/* headers, config lines, expectations */

/*
 * The file format, one directive per line ("#" starts a comment line):
 *   method GET|POST          (default POST)
 *   query <query string>
 *   header <META_VARIABLE> <value>   e.g. header HTTP_HOST hooks.example.com
 *   now <unix seconds>       the verifier's clock
 *   config <ini line>        a line of the vendor's section
 *   token <path token>
 *   expect <field> <value>   status, kind, auth, message, event_key_group,
 *                            or any normalized field ("-" for unset)
 *   body                     everything after this line, exactly, is the
 *                            body (one final newline is dropped)
 */
struct fixture {
	char	*path;
	const char *method;
	const char *query;
	char	*hname[FIXTURE_MAX];
	char	*hvalue[FIXTURE_MAX];
	size_t	 nheaders;
	long long now;
	char	*config;		/* the vendor section's lines */
	char	*token;
	char	*ekey[FIXTURE_MAX];
	char	*evalue[FIXTURE_MAX];
	size_t	 nexpect;
	const char *body;
	size_t	 bodylen;
	char	*raw;			/* the file */
};

/* Read path.  NULL on error (printed). */
struct fixture	*fixture_load(const char *path);
void		 fixture_free(struct fixture *);
/* The expected value of key, or NULL. */
const char	*fixture_expect(const struct fixture *, const char *key);

#endif
