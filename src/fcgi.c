/* fcgi.c -- the FastCGI (and plain CGI) transport: the only file that includes <fcgiapp.h>. */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "buf.h"
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
/*
 * Requests accepted and not yet answered, per process: their events wait
 * for a commit without holding a thread (about 20 kB each, libfcgi's
 * stream buffers included).  At this many, accepting waits.
 */
#define FCGI_PENDING_MAX	512

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

/*
 * One request from accept to answer.  When its event goes to the writer,
 * the writer owns it until it hands call.item back (fcgi_writer_done);
 * the responder thread then answers and frees it.
 */
struct fcgi_job {
	FCGX_Request		 fr;
	struct req		 r;
	struct resp		 resp;
	char			*body;
	struct handler_call	 call;
	struct fcgi_job		*next;		/* in the responder's queue */
};

/* The responder: answers the requests whose transaction has ended. */
static struct fcgi_responder {
	pthread_mutex_t			 mu;
	pthread_cond_t			 work;	/* answers to send, or stop */
	pthread_cond_t			 room;	/* pending fell below the maximum */
	struct fcgi_job			*head;
	struct fcgi_job			**tail;
	size_t				 pending;	/* accepted, not answered */
	int				 stopping;
	int				 started;
	pthread_t			 thread;
	const struct handler_ctx	*ctx;
} fcgi_out = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, NULL, &fcgi_out.head, 0, 0, 0, 0, NULL
};

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

/*
 * FCGX_GetParam() compares every meta-variable with strncmp; a request
 * looks up about ten of some thirty.  Same result, first byte first.
 */
static const char *
fcgi_param(void *ctx, const char *name)
{
	char	**p;
	size_t	 len = strlen(name);

	if (len == 0)
		return NULL;
	for (p = ctx; *p != NULL; p++)
		if ((*p)[0] == name[0] && strncmp(*p, name, len) == 0 &&
		    (*p)[len] == '=')
			return *p + len + 1;
	return NULL;
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

/*
 * The whole answer (CGI/1.1 response, RFC 3875 section 6) into out, which
 * is reset first.  No printf: this is on every request's path.
 */
static void
fcgi_answer(const struct resp *resp, struct buf *out)
{
	static const char	 tail[] = "\r\nCache-Control: no-store\r\n\r\n";
	char			 digits[BUF_I64_MAX], *d;
	size_t			 hdr;

	buf_reset(out);
	buf_adds(out, "Status: ");
	buf_i64(out, resp->status);
	buf_addc(out, ' ');
	buf_adds(out, resp_status_text(resp->status));
	buf_adds(out, "\r\nContent-Type: application/json\r\nContent-Length: ");
	/* The body goes after the headers; its length is known after it. */
	hdr = out->len;
	resp_json(resp, out);
	if (out->failed)
		return;
	d = buf_i64_digits(digits, (int64_t)(out->len - hdr));
	buf_insert(out, hdr, tail, sizeof(tail) - 1);
	buf_insert(out, hdr, d, (size_t)(digits + sizeof(digits) - d));
}

/*
 * Read the body of an accepted request (exactly CONTENT_LENGTH), and the
 * end of its stdin, so that closing the connection never discards unread
 * input (a TCP reset could cost the web server our answer).
 */
static void
fcgi_read(struct fcgi_job *job, size_t max_body)
{
	struct req	*r = &job->r;
	size_t		 want;
	int		 got;

	r->param = fcgi_param;
	r->param_ctx = job->fr.envp;
	if ((want = fcgi_req_prepare(r, max_body)) > 0) {
		if ((job->body = malloc(want + 1)) == NULL) {
			r->body_status = 503;
			r->body_reason = "out of memory";
			return;
		}
		got = FCGX_GetStr(job->body, (int)want, job->fr.in);
		if (got < 0 || (size_t)got != want) {
			r->body_status = 400;
			r->body_reason = "body shorter than CONTENT_LENGTH";
			return;
		}
		job->body[want] = '\0';
		r->body = job->body;
		r->body_len = want;
	}
	if (r->body_status == 0)
		(void)FCGX_GetChar(job->fr.in);
}

/* Send job's answer, end the request, close its connection, free it. */
static void
fcgi_reply(struct fcgi_job *job)
{
	struct buf	 out = BUF_INIT;

	fcgi_answer(&job->resp, &out);
	if (!out.failed)
		FCGX_PutStr(out.data, (int)out.len, job->fr.out);
	buf_free(&out);
	/*
	 * Close without libfcgi's lingering shutdown (up to 2 s waiting for
	 * the web server to close first): the input was read to its end.
	 * One request per connection: we announce no FCGI_MPXS_CONNS, and a
	 * kept connection would tie a thread to an idle web-server socket.
	 */
	job->fr.keepConnection = 0;
	FCGX_Detach(&job->fr);
	FCGX_Finish_r(&job->fr);
	free(job->body);
	free(job);
}

/* One request fewer in flight; wake an acceptor waiting for room. */
static void
fcgi_unreserve(size_t n)
{
	pthread_mutex_lock(&fcgi_out.mu);
	if (fcgi_out.pending >= FCGI_PENDING_MAX && fcgi_out.pending - n < FCGI_PENDING_MAX)
		pthread_cond_broadcast(&fcgi_out.room);
	fcgi_out.pending -= n;
	pthread_mutex_unlock(&fcgi_out.mu);
}

/* The responder thread: answer what the writer hands back, in order. */
static void *
fcgi_responder_main(void *arg)
{
	struct fcgi_job	*list, *job, *next;
	size_t		 n;

	(void)arg;
	pthread_mutex_lock(&fcgi_out.mu);
	for (;;) {
		while (fcgi_out.head == NULL && !fcgi_out.stopping)
			pthread_cond_wait(&fcgi_out.work, &fcgi_out.mu);
		if (fcgi_out.head == NULL)
			break;
		list = fcgi_out.head;
		fcgi_out.head = NULL;
		fcgi_out.tail = &fcgi_out.head;
		pthread_mutex_unlock(&fcgi_out.mu);
		for (job = list, n = 0; job != NULL; job = next, n++) {
			next = job->next;
			handler_finish(fcgi_out.ctx, &job->r, &job->call, &job->resp);
			fcgi_reply(job);
		}
		fcgi_unreserve(n);
		pthread_mutex_lock(&fcgi_out.mu);
	}
	pthread_mutex_unlock(&fcgi_out.mu);
	return NULL;
}

void
fcgi_writer_done(struct writer_item *items, void *arg)
{
	struct fcgi_job		*job, *first = NULL, **tail = &first;
	struct writer_item	*it;

	(void)arg;
	for (it = items; it != NULL; it = it->next) {
		job = (struct fcgi_job *)(void *)((char *)it -
		    offsetof(struct fcgi_job, call.item));
		*tail = job;
		tail = &job->next;
	}
	*tail = NULL;
	pthread_mutex_lock(&fcgi_out.mu);
	*fcgi_out.tail = first;
	fcgi_out.tail = tail;
	pthread_cond_signal(&fcgi_out.work);
	pthread_mutex_unlock(&fcgi_out.mu);
}

int
fcgi_start(const struct handler_ctx *ctx)
{
	int	 rc;

	fcgi_out.ctx = ctx;
	if ((rc = pthread_create(&fcgi_out.thread, NULL, fcgi_responder_main,
	    NULL)) != 0) {
		errno = rc;
		log_warn("fcgi: pthread_create");
		return -1;
	}
	fcgi_out.started = 1;
	return 0;
}

void
fcgi_stop(void)
{
	if (!fcgi_out.started)
		return;
	pthread_mutex_lock(&fcgi_out.mu);
	fcgi_out.stopping = 1;
	pthread_cond_signal(&fcgi_out.work);
	pthread_mutex_unlock(&fcgi_out.mu);
	pthread_join(fcgi_out.thread, NULL);
	fcgi_out.started = 0;
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
 * Accept requests until fcgi_shutdown(): read each, start it, and go on
 * to the next while its event waits for the writer; the responder
 * thread answers it after the commit.  Accept is serialized with a
 * mutex, as libfcgi's threaded example does.
 */
void
fcgi_serve(const struct handler_ctx *ctx, size_t max_body)
{
	struct fcgi_job		*job = NULL;
	struct fcgi_thread	*self;
	int			 rc;

	if ((self = fcgi_register()) == NULL) {
		log_warnx("fcgi: more than %d threads", FCGI_THREADS_MAX);
		return;
	}
	while (!fcgi_stopping) {
		/* Room for one more request in flight. */
		pthread_mutex_lock(&fcgi_out.mu);
		while (fcgi_out.pending >= FCGI_PENDING_MAX && !fcgi_stopping)
			pthread_cond_wait(&fcgi_out.room, &fcgi_out.mu);
		fcgi_out.pending++;
		pthread_mutex_unlock(&fcgi_out.mu);
		if (fcgi_stopping ||
		    (job = calloc(1, sizeof(*job))) == NULL ||
		    FCGX_InitRequest(&job->fr, fcgi_listen_fd,
		    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
			if (!fcgi_stopping)
				log_warnx("fcgi: out of memory for a request");
			free(job);
			job = NULL;
			fcgi_unreserve(1);
			if (fcgi_stopping)
				break;
			sleep(1);
			continue;
		}
		pthread_mutex_lock(&fcgi_accept_mu);
		if (fcgi_stopping) {
			pthread_mutex_unlock(&fcgi_accept_mu);
			rc = -1;
		} else {
			self->in_accept = 1;
			rc = FCGX_Accept_r(&job->fr);
			self->in_accept = 0;
			pthread_mutex_unlock(&fcgi_accept_mu);
		}
		if (rc < 0) {
			FCGX_Free(&job->fr, 1);
			free(job);
			job = NULL;
			fcgi_unreserve(1);
			if (fcgi_stopping)
				break;
			if (errno == EINTR)
				continue;
			log_warnx("fcgi: accept failed (%d)", rc);
			/* A broken listen socket: do not spin. */
			sleep(1);
			continue;
		}
		fcgi_read(job, max_body);
		if (handler_start(ctx, &job->r, &job->resp, &job->call) == 0) {
			fcgi_reply(job);
			fcgi_unreserve(1);
		}
		/* Else the writer has it, then the responder. */
		job = NULL;
	}
	fcgi_unregister(self);
}

int
fcgi_serve_cgi(const struct handler_ctx *ctx, size_t max_body)
{
	extern char	**environ;
	struct req	 r;
	struct resp	 resp;
	struct buf	 out = BUF_INIT;
	char		*body = NULL;
	size_t		 want, got;
	int		 rc = -1;

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
	fcgi_answer(&resp, &out);
	if (!out.failed && fwrite(out.data, 1, out.len, stdout) == out.len &&
	    fflush(stdout) == 0)
		rc = 0;
out:
	buf_free(&out);
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
		/* And the threads waiting for room to accept. */
		pthread_mutex_lock(&fcgi_out.mu);
		pthread_cond_broadcast(&fcgi_out.room);
		pthread_mutex_unlock(&fcgi_out.mu);
		nanosleep(&tick, NULL);
	}
}
