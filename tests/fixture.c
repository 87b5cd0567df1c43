/* fixture.c -- read vendor test cases (tests/data/<vendor>/<name>.case). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static char *
fixture_slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

struct fixture *
fixture_load(const char *path)
{
	struct fixture	*fx;
	char		*p, *line, *nl, *arg, *sp;
	size_t		 len, cfglen = 0;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return NULL;
	fx->path = strdup(path);
	fx->method = "POST";
	fx->query = "";
	fx->body = "";
	if ((fx->raw = fixture_slurp(path, &len)) == NULL ||
	    (fx->config = calloc(1, len + 1)) == NULL) {
		fprintf(stderr, "%s: cannot read\n", path);
		fixture_free(fx);
		return NULL;
	}
	for (p = fx->raw; p < fx->raw + len; p = nl + 1) {
		line = p;
		if ((nl = memchr(p, '\n', (size_t)(fx->raw + len - p))) == NULL)
			nl = fx->raw + len;
		*nl = '\0';
		if (strcmp(line, "body") == 0) {
			char *b = nl + 1 <= fx->raw + len ? nl + 1 : nl;

			fx->bodylen = (size_t)(fx->raw + len - b);
			if (fx->bodylen > 0 && b[fx->bodylen - 1] == '\n')
				fx->bodylen--;
			b[fx->bodylen] = '\0';
			fx->body = b;
			break;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((arg = strchr(line, ' ')) == NULL)
			arg = nl;
		else
			*arg++ = '\0';
		if (strcmp(line, "method") == 0)
			fx->method = arg;
		else if (strcmp(line, "query") == 0)
			fx->query = arg;
		else if (strcmp(line, "now") == 0)
			fx->now = atoll(arg);
		else if (strcmp(line, "token") == 0)
			fx->token = arg;
		else if (strcmp(line, "config") == 0) {
			cfglen += (size_t)sprintf(fx->config + cfglen, "%s\n", arg);
		} else if ((strcmp(line, "header") == 0 || strcmp(line, "expect") == 0) &&
		    (sp = strchr(arg, ' ')) != NULL) {
			*sp++ = '\0';
			if (line[0] == 'h' && fx->nheaders < FIXTURE_MAX) {
				fx->hname[fx->nheaders] = arg;
				fx->hvalue[fx->nheaders++] = sp;
			} else if (line[0] == 'e' && fx->nexpect < FIXTURE_MAX) {
				fx->ekey[fx->nexpect] = arg;
				fx->evalue[fx->nexpect++] = sp;
			}
		} else {
			fprintf(stderr, "%s: unknown directive \"%s\"\n", path, line);
			fixture_free(fx);
			return NULL;
		}
	}
	return fx;
}

const char *
fixture_expect(const struct fixture *fx, const char *key)
{
	size_t	 i;

	for (i = 0; i < fx->nexpect; i++)
		if (strcmp(fx->ekey[i], key) == 0)
			return fx->evalue[i];
	return NULL;
}

void
fixture_free(struct fixture *fx)
{
	if (fx == NULL)
		return;
	free(fx->path);
	free(fx->raw);
	free(fx->config);
	free(fx);
}
