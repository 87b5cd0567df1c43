/* cost.c -- instructions to route, decode, verify and prepare one callback, against json-c parsing the same body (run under callgrind by bench/run). */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "fixture.h"
#include "handler.h"
#include "msg.h"
#include "req.h"
#include "resp.h"
#include "sig.h"
#include "vendor.h"

/*
 * usage: cost pipeline|jsonc N fixture.case vendor
 * Runs the measured loop N times; callgrind counts only the function
 * cost_loop_pipeline or cost_loop_jsonc (--toggle-collect).
 */

static struct fixture		*fx;
static struct config		*cfg;
static const struct vendor	*vendor;
static char			 path[512] = "/livehook/";

static const char *
cost_param(void *ctx, const char *name)
{
	size_t	 i;

	(void)ctx;
	if (strcmp(name, "SCRIPT_NAME") == 0)
		return "/livehook";
	if (strcmp(name, "PATH_INFO") == 0)
		return path + strlen("/livehook");
	for (i = 0; i < fx->nheaders; i++)
		if (strcmp(fx->hname[i], name) == 0)
			return fx->hvalue[i];
	return NULL;
}

/* What handler.c does for one callback, minus the writer: route, then handler_prepare(). */
void	cost_loop_pipeline(long);
void	cost_loop_jsonc(long);

void
cost_loop_pipeline(long n)
{
	struct event		 ev;
	struct msg		*msg;
	struct resp		 resp;
	struct req		 r;
	struct buf		 row = BUF_INIT;
	char			 p[REQ_PATH_MAX];
	const struct vendor	*v;
	const char		*seg;

	while (n-- > 0) {
		memset(&r, 0, sizeof(r));
		r.param = cost_param;
		r.method = fx->method;
		r.query = fx->query;
		r.remote_addr = "192.0.2.1";
		r.body = fx->body;
		r.body_len = fx->bodylen;
		r.received_at = fx->now * 1000;
		if (req_path(&r, p, sizeof(p)) == -1 || (seg = strrchr(p, '/')) == NULL ||
		    (v = vendor_find(seg + 1, strlen(seg + 1))) == NULL)
			abort();
		buf_reset(&row);
		if (handler_prepare(cfg, &r, v, fx->token, &msg, &ev, &row, &resp) == -1) {
			fprintf(stderr, "cost: %s refused: %s\n", fx->path, resp.message);
			exit(1);
		}
		msg_free(msg);
	}
	buf_free(&row);
}

void
cost_loop_jsonc(long n)
{
	struct json_tokener	*tok;
	struct json_object	*o;

	while (n-- > 0) {
		tok = json_tokener_new();
		o = json_tokener_parse_ex(tok, fx->body, (int)fx->bodylen);
		if (o == NULL)
			abort();
		json_object_put(o);
		json_tokener_free(tok);
	}
}

int
main(int argc, char *argv[])
{
	char	 cpath[] = "/tmp/cost.XXXXXX";
	FILE	*f;
	long	 n;
	int	 fd;

	if (argc != 5)
		return 2;
	n = atol(argv[2]);
	if (sig_init() == -1 || (fx = fixture_load(argv[3])) == NULL)
		return 1;
	vendor = vendor_find(argv[4], strlen(argv[4]));
	if ((fd = mkstemp(cpath)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return 1;
	fprintf(f, "[%s]\n%s", argv[4], fx->config);
	fclose(f);
	cfg = config_load(cpath);
	unlink(cpath);
	if (cfg == NULL || vendor == NULL)
		return 1;
	snprintf(path, sizeof(path), "/livehook/%s", argv[4]);
	if (strcmp(argv[1], "pipeline") == 0) {
		cost_loop_pipeline(1);		/* warm-up: first-call costs */
		cost_loop_pipeline(n);
	} else {
		cost_loop_jsonc(1);
		cost_loop_jsonc(n);
	}
	config_free(cfg);
	fixture_free(fx);
	sig_free();
	return 0;
}
