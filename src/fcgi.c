/* fcgi.c -- the FastCGI (and plain CGI) transport: the only file that includes <fcgiapp.h>. */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fcgi.h"
#include "handler.h"
#include "log.h"
#include "req.h"
#include "resp.h"

/* Serving threads at most (config.c bounds threads to this). */
#define FCGI_THREADS_MAX	64
/* Listen backlog when we open our own socket (-s). */
#define FCGI_BACKLOG		1024
/* Largest answer body. */
#define FCGI_BODY_MAX		(RESP_MESSAGE_MAX + 64)

static int			 fcgi_listen_fd = 0;	/* FCGI_LISTENSOCK_FILENO */
static volatile sig_atomic_t	 fcgi_stopping;
static pthread_mutex_t		 fcgi_accept_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t		 fcgi_threads_mu = PTHREAD_MUTEX_INITIALIZER;

/* Threads that serve, so that fcgi_shutdown() can wake the one in accept(). */
static struct fcgi_thread {
	pthread_t		 id;
	volatile sig_atomic_t	 in_accept;
	int			 used;
} fcgi_threads[FCGI_THREADS_MAX];

/* SIGUSR1 only interrupts accept(2); installed without SA_RESTART. */
static void
fcgi_wake(int sig)
{
	(void)sig;
}

int
fcgi_init(const char *path)
{
	struct sigaction	 sa;

	if (FCGX_Init() != 0) {
		log_warnx("fcgi: FCGX_Init failed");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fcgi_wake;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	if (sigaction(SIGUSR1, &sa, NULL) == -1) {
		log_warn("fcgi: sigaction");
		return -1;
	}
	if (path != NULL) {
		if ((fcgi_listen_fd = FCGX_OpenSocket(path, FCGI_BACKLOG)) < 0) {
			log_warn("fcgi: cannot listen on %s", path);
			return -1;
		}
		return 1;
	}
	return FCGX_IsCGI() ? 0 : 1;
}

static const char *
fcgi_param(void *ctx, const char *name)
{
	return FCGX_GetParam(name, ctx);
}

static const char *
fcgi_cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static int64_t
fcgi_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Fill the common fields of r from its meta-variables and decide how much
 * body to read: exactly CONTENT_LENGTH, at most max_body (SPEC section 3).
 * Returns the number of bytes to read, or 0 with r->body_status set.
 */
static size_t
fcgi_req_prepare(struct req *r, size_t max_body)
{
	size_t	 len = 0;
	int	 rc;

	r->method = req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	if ((r->query = req_param(r, "QUERY_STRING")) == NULL)
		r->query = "";
	if ((r->remote_addr = req_param(r, "REMOTE_ADDR")) == NULL)
		r->remote_addr = "-";
	r->content_length = req_param(r, "CONTENT_LENGTH");
	r->body = "";
	r->body_len = 0;
	r->received_at = fcgi_now_ms();

	rc = req_content_length(r->content_length, max_body, &len);
	switch (rc) {
	case 0:
		return len;
	case -1:
		if (strcmp(r->method, "POST") == 0) {
			r->body_status = 411;
			r->body_reason = "POST without CONTENT_LENGTH";
		}
		return 0;
	case -2:
		r->body_status = 400;
		r->body_reason = "malformed CONTENT_LENGTH";
		return 0;
	default:
		r->body_status = 413;
		r->body_reason = "body over the configured limit";
		return 0;
	}
}

/* Format the whole answer (CGI/1.1 response, RFC 3875 section 6). */
static int
fcgi_answer(const struct resp *resp, char *out, size_t outsz)
{
	char	 body[FCGI_BODY_MAX];
	size_t	 blen;

	blen = resp_body(resp, body, sizeof(body));
	return snprintf(out, outsz,
	    "Status: %d %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n\r\n%s",
	    resp->status, resp_status_text(resp->status), blen, body);
}

/* Handle one accepted FastCGI request. */
static void
fcgi_handle(const struct handler_ctx *ctx, FCGX_Request *fr, size_t max_body)
{
	struct req	 r;
	struct resp	 resp;
	char		*body = NULL;
	char		 out[FCGI_BODY_MAX + 256];
	size_t		 want;
	int		 got, n;

	memset(&r, 0, sizeof(r));
	memset(&resp, 0, sizeof(resp));
	r.param = fcgi_param;
	r.param_ctx = fr->envp;
	want = fcgi_req_prepare(&r, max_body);
	if (want > 0) {
		if ((body = malloc(want + 1)) == NULL) {
			r.body_status = 503;
			r.body_reason = "out of memory";
		} else {
			got = FCGX_GetStr(body, (int)want, fr->in);
			if (got < 0 || (size_t)got != want) {
				r.body_status = 400;
				r.body_reason = "body shorter than CONTENT_LENGTH";
			} else {
				body[want] = '\0';
				r.body = body;
				r.body_len = want;
			}
		}
	}
	handler_run(ctx, &r, &resp);
	n = fcgi_answer(&resp, out, sizeof(out));
	if (n > 0)
		FCGX_PutStr(out, n < (int)sizeof(out) ? n : (int)sizeof(out) - 1, fr->out);
	free(body);
}

static struct fcgi_thread *
fcgi_register(void)
{
	size_t	 i;

	pthread_mutex_lock(&fcgi_threads_mu);
	for (i = 0; i < FCGI_THREADS_MAX; i++)
		if (!fcgi_threads[i].used) {
			fcgi_threads[i].used = 1;
			fcgi_threads[i].id = pthread_self();
			fcgi_threads[i].in_accept = 0;
			pthread_mutex_unlock(&fcgi_threads_mu);
			return &fcgi_threads[i];
		}
	pthread_mutex_unlock(&fcgi_threads_mu);
	return NULL;
}

static void
fcgi_unregister(struct fcgi_thread *t)
{
	pthread_mutex_lock(&fcgi_threads_mu);
	t->used = 0;
	pthread_mutex_unlock(&fcgi_threads_mu);
}

/*
 * Accept and answer requests until fcgi_shutdown().  Accept is serialized
 * with a mutex, as libfcgi's threaded example does; the request itself,
 * including the wait for its commit, runs unlocked.
 */
void
fcgi_serve(const struct handler_ctx *ctx, size_t max_body)
{
	FCGX_Request		 fr;
	struct fcgi_thread	*self;
	int			 rc;

	if ((self = fcgi_register()) == NULL) {
		log_warnx("fcgi: more than %d threads", FCGI_THREADS_MAX);
		return;
	}
	if (FCGX_InitRequest(&fr, fcgi_listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		log_warnx("fcgi: FCGX_InitRequest failed");
		goto out;
	}
	while (!fcgi_stopping) {
		pthread_mutex_lock(&fcgi_accept_mu);
		if (fcgi_stopping) {
			pthread_mutex_unlock(&fcgi_accept_mu);
			break;
		}
		self->in_accept = 1;
		rc = FCGX_Accept_r(&fr);
		self->in_accept = 0;
		pthread_mutex_unlock(&fcgi_accept_mu);
		if (rc < 0) {
			if (fcgi_stopping)
				break;
			if (errno == EINTR)
				continue;
			log_warnx("fcgi: accept failed (%d)", rc);
			/* A broken listen socket: do not spin. */
			sleep(1);
			continue;
		}
		fcgi_handle(ctx, &fr, max_body);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 0);
out:
	fcgi_unregister(self);
}

int
fcgi_serve_cgi(const struct handler_ctx *ctx, size_t max_body)
{
	extern char	**environ;
	struct req	 r;
	struct resp	 resp;
	char		*body = NULL;
	char		 out[FCGI_BODY_MAX + 256];
	size_t		 want, got;
	int		 n, rc = -1;

	memset(&r, 0, sizeof(r));
	memset(&resp, 0, sizeof(resp));
	r.param = fcgi_cgi_param;
	r.param_ctx = environ;
	want = fcgi_req_prepare(&r, max_body);
	if (want > 0) {
		if ((body = malloc(want + 1)) == NULL) {
			log_warn("fcgi: malloc");
			goto out;
		}
		got = fread(body, 1, want, stdin);
		if (got != want) {
			r.body_status = 400;
			r.body_reason = "body shorter than CONTENT_LENGTH";
		} else {
			body[want] = '\0';
			r.body = body;
			r.body_len = want;
		}
	}
	handler_run(ctx, &r, &resp);
	n = fcgi_answer(&resp, out, sizeof(out));
	if (n > 0 && fwrite(out, 1, (size_t)n, stdout) == (size_t)n &&
	    fflush(stdout) == 0)
		rc = 0;
out:
	free(body);
	return rc;
}

void
fcgi_shutdown(void)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	size_t		 i;
	int		 busy;

	/*
	 * Not FCGX_ShutdownPending(): libfcgi 2.4.2's OS_Accept, once that
	 * flag is set, loops forever on a connection it has just closed when
	 * the wait for its first bytes is interrupted (poll + close of a
	 * stale descriptor, which may by then be another thread's).  Our own
	 * flag and FCGI_FAIL_ACCEPT_ON_INTR end the accept instead.
	 */
	fcgi_stopping = 1;
	/*
	 * Wake the thread blocked in accept(2); repeat until every thread has
	 * left, since a wake-up can land just before the thread enters
	 * accept.  Threads in a request are left to finish it.
	 */
	for (;;) {
		busy = 0;
		pthread_mutex_lock(&fcgi_threads_mu);
		for (i = 0; i < FCGI_THREADS_MAX; i++) {
			if (!fcgi_threads[i].used)
				continue;
			busy = 1;
			if (fcgi_threads[i].in_accept)
				pthread_kill(fcgi_threads[i].id, SIGUSR1);
		}
		pthread_mutex_unlock(&fcgi_threads_mu);
		if (!busy)
			break;
		nanosleep(&tick, NULL);
	}
}
