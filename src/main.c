/* main.c -- options, signals, and the threads that serve: livehook(8). */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fcgi.h"
#include "handler.h"
#include "log.h"
#include "metrics.h"
#include "sig.h"
#include "spool.h"
#include "store.h"
#include "writer.h"

#define MAIN_CONFIG_DEFAULT	SYSCONFDIR "/livehook.conf"

static void
usage(void)
{
	fprintf(stderr, "usage: livehook [-tV] [-c file] [-s path | host:port]\n"
	    "       livehook --drain [-c file]\n");
	exit(2);
}

struct main_worker {
	const struct handler_ctx	*ctx;
	size_t				 max_body;
};

static void *
main_worker(void *arg)
{
	struct main_worker	*w = arg;

	fcgi_serve(w->ctx, w->max_body);
	return NULL;
}

/*
 * -t: the configuration was read; check the database and its schema.
 * A database that does not answer is no reason to refuse to start (the
 * spool or 503 covers it): warn and return 0.  One that answers with
 * another schema version, or refuses livehook's login, is: 1.
 */
static int
main_check(const struct config *cfg, struct store *store)
{
	const char	*path = cfg->path != NULL ? cfg->path : "(defaults)";
	int		 v;

	switch (store_reach(store)) {
	case STORE_REACH_BAD:
		return 1;
	case STORE_REACH_AWAY:
		log_warnx("warning: the database does not answer; livehook will "
		    "start and %s until it does (its schema version is checked "
		    "by the next -t)", cfg->spool_dir != NULL ?
		    "spool callbacks" : "answer 503 (no spool_dir)");
		printf("%s: configuration ok, %zu vendor section(s); database "
		    "away\n", path, cfg->nvendors);
		return 0;
	case STORE_REACH_UP:
		break;
	}
	if ((v = store_schema_version(store)) == -1)
		return 1;
	if (v != STORE_SCHEMA_VERSION) {
		log_warnx("database schema version %d, this livehook needs %d "
		    "(apply the scripts in sql/upgrade/)", v, STORE_SCHEMA_VERSION);
		return 1;
	}
	printf("%s: configuration ok, %zu vendor section(s); database schema "
	    "version %d\n", path, cfg->nvendors, v);
	return 0;
}

/* --drain: replay the whole spool; 0 when it is empty afterwards. */
static int
main_drain(struct spool *spool, struct store *store)
{
	long	 n, left;

	if (spool == NULL) {
		log_warnx("--drain: no spool_dir in the configuration");
		return 1;
	}
	n = spool_replay(spool, store, 0);
	left = spool_count(spool);
	printf("replayed %ld event(s), %ld left in the spool\n", n > 0 ? n : 0,
	    left > 0 ? left : 0);
	return n >= 0 && left == 0 ? 0 : 1;
}

/*
 * Serve FastCGI with cfg->threads request threads and one writer until
 * SIGTERM or SIGINT; a request in progress is finished first.
 */
static int
main_serve(const struct handler_ctx *ctx, const struct config *cfg)
{
	struct main_worker	 mw = { ctx, cfg->max_body };
	pthread_t		 threads[64];
	sigset_t		 stop, old;
	struct timespec		 tick = { 1, 0 };
	int			 i, n = 0, sig, rc;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	/* The threads inherit this mask: only this thread takes SIGTERM. */
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	for (i = 0; i < cfg->threads && i < 64; i++) {
		if ((rc = pthread_create(&threads[n], NULL, main_worker, &mw)) != 0) {
			errno = rc;
			log_warn("pthread_create");
			break;
		}
		n++;
	}
	if (n == 0)
		return 1;
	for (;;) {
		/* Once a second: the summaries of repeated log lines. */
		if ((sig = sigtimedwait(&stop, NULL, &tick)) == -1) {
			log_tick();
			continue;
		}
		if (sig == SIGHUP) {
			log_info("SIGHUP ignored: restart to reload the configuration");
			continue;
		}
		break;
	}
	fcgi_shutdown();
	for (i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "test", no_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "drain", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	const char		*cfgpath = MAIN_CONFIG_DEFAULT, *sockpath = NULL;
	struct config		*cfg = NULL;
	struct store		*store = NULL, *probe = NULL;
	struct writer		*writer = NULL;
	struct spool		*spool = NULL;
	struct handler_ctx	 ctx;
	int			 ch, test = 0, drain = 0, rc = 1, mode;

	log_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:s:tV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cfgpath = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'D':
			drain = 1;
			break;
		case 'V':
			printf("livehook %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	signal(SIGPIPE, SIG_IGN);
	/*
	 * glibc gives threads that allocate at once arenas of their own, up
	 * to eight per core, each holding freed memory; requests are a few
	 * kilobytes.  Two arenas: 11.9 -> 11.7 MB resident per process with
	 * 32 threads under bench/run --quick.
	 */
	mallopt(M_ARENA_MAX, 2);
	if (sig_init() == -1)
		goto out;
	if ((cfg = config_load(cfgpath)) == NULL)
		goto out;
	if ((store = store_new(cfg->conninfo, cfg->db_timeout)) == NULL)
		goto out;
	if (test) {
		rc = main_check(cfg, store);
		goto out;
	}
	if (cfg->spool_dir != NULL && (spool = spool_open(cfg->spool_dir)) == NULL)
		goto out;
	/* What a worker killed in the middle of spool_put() left behind. */
	if (spool != NULL)
		spool_clean(spool);
	if (drain) {
		rc = main_drain(spool, store);
		goto out;
	}
	if ((mode = fcgi_init(sockpath)) == -1)
		goto out;
	/*
	 * Counters shared by every process started with this configuration
	 * (spawn-fcgi -F, mod_fcgid), so that any of them answers a scrape
	 * with the sum.  Without it each counts for itself.
	 */
	if (cfg->metrics) {
		char	 name[256];

		if (cfg->metrics_shm != NULL)
			snprintf(name, sizeof(name), "%s", cfg->metrics_shm);
		else
			metrics_default_name(cfgpath, name, sizeof(name));
		(void)metrics_open(name);
	}
	/* Plain CGI answers one request: no writer thread. */
	if ((writer = writer_new(store, spool, mode == 1, cfg->group_commit,
	    cfg->batch_max, fcgi_writer_done, NULL)) == NULL)
		goto out;
	memset(&ctx, 0, sizeof(ctx));
	ctx.config = cfg;
	ctx.writer = writer;
	/* /readyz asks on a connection of its own: never behind the writer. */
	if ((probe = store_new(cfg->conninfo, cfg->db_timeout)) == NULL)
		goto out;
	ctx.store = probe;
	ctx.spool = spool;
	if (mode == 0) {
		rc = fcgi_serve_cgi(&ctx, cfg->max_body) == 0 ? 0 : 1;
		/* A CGI process has no writer thread: catch up a little here. */
		if (spool != NULL && spool_count(spool) > 0)
			spool_replay(spool, store, SPOOL_REPLAY_BATCH);
	} else if (fcgi_start(&ctx) == 0)
		rc = main_serve(&ctx, cfg);
out:
	/* The writer hands back what it holds, then the responder answers it. */
	writer_free(writer);
	fcgi_stop();
	metrics_close();
	spool_free(spool);
	store_free(probe);
	store_free(store);
	config_free(cfg);
	sig_free();
	log_flush();
	return rc;
}
