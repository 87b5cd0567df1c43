/* fcgi.c -- the FastCGI (and plain CGI) transport: the only file that includes <fcgiapp.h>. */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "writer.h"

/* Serving threads at most (config.c bounds threads to this). */
#define FCGI_THREADS_MAX	64
/* Listen backlog when we open our own socket (-s). */
#define FCGI_BACKLOG		1024
/*
 * Requests accepted and not yet answered, per process, at most: their
 * events wait for a commit without holding a thread (some 45 kB of
 * resident memory each, libfcgi's stream buffers included).  At
 * batch_max of them (this at most), accepting waits.
 */
#define FCGI_PENDING_MAX	WRITER_BATCH_MAX
/*
 * An accepting thread reads a body for at most this long (and each read
 * waits at most this long) before it hands the request to the reader
 * thread, which waits for the rest of every slow body at once.
 */
#define FCGI_READ_SLICE_MS	20
/*
 * A connection answered before its input was read to the end (408, 413)
 * is kept open this long, reading and dropping input, until the web
 * server closes it: closing at once makes Apache mod_proxy_fcgi, still
 * sending the body, answer 503 instead of our status.
 */
#define FCGI_LINGER_MS		2000
#define FCGI_LINGER_MAX		FCGI_PENDING_MAX

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
	size_t			 want;		/* CONTENT_LENGTH */
	size_t			 got;		/* bytes of body read */
	int			 eof;		/* reading is over */
	int			 drained;	/* the end of stdin was read */
	int64_t			 deadline;	/* monotonic ms: 408 after it */
	struct handler_call	 call;
	struct fcgi_job		*next;		/* in a queue */
};

/* The responder: answers the requests whose transaction has ended. */
static struct fcgi_responder {
	pthread_mutex_t			 mu;
	pthread_cond_t			 work;	/* answers to send, or stop */
	pthread_cond_t			 room;	/* pending fell below the maximum */
	struct fcgi_job			*head;
	struct fcgi_job			**tail;
	size_t				 pending;	/* accepted, not answered */
	size_t				 pending_max;	/* batch_max */
	int				 stopping;
	int				 started;
	pthread_t			 thread;
	const struct handler_ctx	*ctx;
} fcgi_out = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	PTHREAD_COND_INITIALIZER, NULL, &fcgi_out.head, 0, FCGI_PENDING_MAX, 0, 0, 0,
	NULL
};

/* The reader: requests whose bodies come slowly, waited for together. */
static struct fcgi_reader {
	pthread_mutex_t			 mu;
	struct fcgi_job			*head;	/* handed over, not yet polled */
	int				 linger[FCGI_LINGER_MAX]; /* handed over fds */
	size_t				 nlinger;
	int				 wake[2];	/* a pipe: new requests, or stop */
	int				 stopping;
	int				 started;
	pthread_t			 thread;
} fcgi_in = { PTHREAD_MUTEX_INITIALIZER, NULL, { 0 }, 0, { -1, -1 }, 0, 0, 0 };

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
	struct timespec	 mono;
	size_t		 len = 0;
	int		 rc;

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
	clock_gettime(CLOCK_MONOTONIC, &mono);
	r->started_us = (int64_t)mono.tv_sec * 1000000 + mono.tv_nsec / 1000;

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
	buf_adds(out, "\r\nContent-Type: ");
	buf_adds(out, resp->text != NULL ? resp->text_type : "application/json");
	buf_adds(out, "\r\nContent-Length: ");
	/* The body goes after the headers; its length is known after it. */
	hdr = out->len;
	if (resp->text != NULL)
		buf_add(out, resp->text, resp->text_len);
	else
		resp_json(resp, out);
	if (out->failed)
		return;
	d = buf_i64_digits(digits, (int64_t)(out->len - hdr));
	buf_insert(out, hdr, tail, sizeof(tail) - 1);
	buf_insert(out, hdr, d, (size_t)(digits + sizeof(digits) - d));
}

static int64_t
fcgi_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Set up reading job's body (exactly CONTENT_LENGTH, at most max_body)
 * within timeout seconds: every read of the connection now gives up after
 * FCGI_READ_SLICE_MS, so that no thread waits for a slow client.
 */
static void
fcgi_read_start(struct fcgi_job *job, size_t max_body, int timeout)
{
	struct timeval	 tv = { 0, FCGI_READ_SLICE_MS * 1000 };
	struct req	*r = &job->r;

	r->param = fcgi_param;
	r->param_ctx = job->fr.envp;
	job->deadline = fcgi_mono_ms() + (int64_t)timeout * 1000;
	job->want = fcgi_req_prepare(r, max_body);
	if (r->body_status != 0) {
		job->eof = 1;
		return;
	}
	if (job->want > 0 && (job->body = malloc(job->want + 1)) == NULL) {
		r->body_status = 503;
		r->body_reason = "out of memory";
		job->eof = 1;
		return;
	}
	if (setsockopt(job->fr.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1)
		log_warn("fcgi: setsockopt SO_RCVTIMEO");
}

/*
 * A read of in timed out: clear the stream's error so that reading can go
 * on once more input is there.  A read times out only when libfcgi waits
 * for the start of a record (the web server writes whole records), so
 * its record state is intact.  Returns 1 for a time-out, 0 for an error
 * or the end of the input.
 */
static int
fcgi_read_blocked(FCGX_Stream *in)
{
	int	 e = FCGX_GetError(in);

	if (e != EAGAIN && e != EWOULDBLOCK)
		return 0;
	FCGX_ClearError(in);
	in->isClosed = 0;
	return 1;
}

/*
 * Read what has arrived of job's body and the end of its stdin (so that
 * closing the connection never discards unread input, which over TCP
 * could reset the answer away), until until (monotonic ms).  Returns 1
 * when job is read (or r.body_status says why not), 0 when it waits for
 * more input.
 */
static int
fcgi_read_some(struct fcgi_job *job, int64_t until)
{
	FCGX_Stream	*in = job->fr.in;
	struct req	*r = &job->r;
	size_t		 avail, n;
	int		 got;

	if (job->eof)
		return 1;
	while (job->got < job->want) {
		/* What libfcgi holds of the current record, else one read. */
		avail = (size_t)(in->stop - in->rdNext);
		n = job->want - job->got;
		if (avail < n)
			n = avail > 0 ? avail : 1;
		got = FCGX_GetStr(job->body + job->got, (int)n, in);
		if (got > 0)
			job->got += (size_t)got;
		if ((size_t)got == n) {
			if (avail == 0 && job->got < job->want &&
			    fcgi_mono_ms() >= until)
				return 0;
			continue;
		}
		if (fcgi_read_blocked(in))
			return 0;
		r->body_status = 400;
		r->body_reason = "body shorter than CONTENT_LENGTH";
		job->eof = 1;
		return 1;
	}
	/* The end of stdin: EOF, or more than CONTENT_LENGTH (ignored). */
	if (FCGX_GetChar(in) == EOF && fcgi_read_blocked(in))
		return 0;
	job->eof = job->drained = 1;
	if (job->want > 0) {
		job->body[job->want] = '\0';
		r->body = job->body;
		r->body_len = job->want;
	}
	return 1;
}

/* Wake the reader thread: something was handed over, or it is to stop. */
static void
fcgi_reader_wake(void)
{
	char	 c = 0;

	if (write(fcgi_in.wake[1], &c, 1) == -1 && errno != EAGAIN)
		log_warn("fcgi: reader wake-up");
}

/*
 * Have the reader thread close fd once the web server has closed its end
 * (or after FCGI_LINGER_MS): our answer is sent, its input is not all
 * read.
 */
static void
fcgi_linger_add(int fd)
{
	int	 fl;

	(void)shutdown(fd, SHUT_WR);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&fcgi_in.mu);
	if (!fcgi_in.started || fcgi_in.nlinger == FCGI_LINGER_MAX) {
		pthread_mutex_unlock(&fcgi_in.mu);
		close(fd);
		return;
	}
	fcgi_in.linger[fcgi_in.nlinger++] = fd;
	pthread_mutex_unlock(&fcgi_in.mu);
	fcgi_reader_wake();
}

/* Send job's answer, end the request, close its connection, free it. */
static void
fcgi_reply(struct fcgi_job *job)
{
	struct buf	 out = BUF_INIT;
	int		 fd;

	fcgi_answer(&job->resp, &out);
	if (!out.failed)
		FCGX_PutStr(out.data, (int)out.len, job->fr.out);
	buf_free(&out);
	resp_clear(&job->resp);
	/*
	 * One request per connection: we announce no FCGI_MPXS_CONNS, and a
	 * kept connection would tie a thread to an idle web-server socket.
	 * Input read to its end: close at once, without libfcgi's lingering
	 * shutdown (a blocking wait of up to 2 s for the web server to close
	 * first).  Else the reader thread lingers without blocking anyone.
	 */
	if (job->drained) {
		job->fr.keepConnection = 0;
		FCGX_Detach(&job->fr);
		FCGX_Finish_r(&job->fr);
	} else {
		fd = job->fr.ipcFd;
		job->fr.keepConnection = 1;
		FCGX_Finish_r(&job->fr);
		if (fd >= 0)
			fcgi_linger_add(fd);
	}
	free(job->body);
	free(job);
}

/* One request fewer in flight; wake an acceptor waiting for room. */
static void
fcgi_unreserve(size_t n)
{
	pthread_mutex_lock(&fcgi_out.mu);
	if (fcgi_out.pending >= fcgi_out.pending_max &&
	    fcgi_out.pending - n < fcgi_out.pending_max)
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

/* Start a read request; answer it here unless the writer has it now. */
static void
fcgi_dispatch(const struct handler_ctx *ctx, struct fcgi_job *job)
{
	if (handler_start(ctx, &job->r, &job->resp, &job->call) == 0) {
		fcgi_reply(job);
		fcgi_unreserve(1);
	}
	/* Else the writer has it, then the responder. */
}

/* Hand job, whose body has not all arrived, to the reader thread. */
static void
fcgi_reader_add(struct fcgi_job *job)
{
	pthread_mutex_lock(&fcgi_in.mu);
	job->next = fcgi_in.head;
	fcgi_in.head = job;
	pthread_mutex_unlock(&fcgi_in.mu);
	fcgi_reader_wake();
}

/* Read and drop what a lingering connection sends; 1 when it is over. */
static int
fcgi_linger_read(int fd)
{
	char	 trash[4096];
	ssize_t	 n;

	while ((n = read(fd, trash, sizeof(trash))) > 0)
		continue;
	return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/*
 * The reader thread: wait for the rest of every slow body at once, start
 * each request when its body is in, answer 408 when its time is up; and
 * close lingering connections once the web server is done with them.
 * When stopping, it returns once every body in progress is in or late.
 */
static void *
fcgi_reader_main(void *arg)
{
	const struct handler_ctx	*ctx = arg;
	static struct fcgi_job		*jobs[FCGI_PENDING_MAX];
	static struct {
		int	 fd;
		int64_t	 until;
	}				 lg[FCGI_LINGER_MAX];
	static struct pollfd		 pfd[1 + FCGI_PENDING_MAX + FCGI_LINGER_MAX];
	struct fcgi_job			*job;
	size_t				 n = 0, nl = 0, i, k;
	int64_t				 now, next;
	int				 stopping, timeout, done;
	char				 drain[64];

	for (;;) {
		now = fcgi_mono_ms();
		pthread_mutex_lock(&fcgi_in.mu);
		while ((job = fcgi_in.head) != NULL && n < FCGI_PENDING_MAX) {
			fcgi_in.head = job->next;
			jobs[n++] = job;
		}
		for (i = 0; i < fcgi_in.nlinger; i++) {
			if (nl == FCGI_LINGER_MAX) {
				close(fcgi_in.linger[i]);
				continue;
			}
			lg[nl].fd = fcgi_in.linger[i];
			lg[nl++].until = now + FCGI_LINGER_MS;
		}
		fcgi_in.nlinger = 0;
		stopping = fcgi_in.stopping;
		pthread_mutex_unlock(&fcgi_in.mu);
		/* Stopping: bodies in progress are still read, to their deadline. */
		if (stopping && n == 0)
			break;
		next = now + 1000;
		pfd[0].fd = fcgi_in.wake[0];
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[1 + i].fd = jobs[i]->fr.ipcFd;
			pfd[1 + i].events = POLLIN;
			pfd[1 + i].revents = 0;
			if (jobs[i]->deadline < next)
				next = jobs[i]->deadline;
		}
		for (i = 0; i < nl; i++) {
			pfd[1 + n + i].fd = lg[i].fd;
			pfd[1 + n + i].events = POLLIN;
			pfd[1 + n + i].revents = 0;
			if (lg[i].until < next)
				next = lg[i].until;
		}
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, 1 + n + nl, timeout) == -1 && errno != EINTR) {
			log_warn("fcgi: poll");
			sleep(1);
			continue;
		}
		if (pfd[0].revents & POLLIN)
			while (read(fcgi_in.wake[0], drain, sizeof(drain)) > 0)
				continue;
		now = fcgi_mono_ms();
		for (i = k = 0; i < nl; i++) {
			if ((pfd[1 + n + i].revents != 0 &&
			    fcgi_linger_read(lg[i].fd)) || now >= lg[i].until)
				close(lg[i].fd);
			else
				lg[k++] = lg[i];
		}
		nl = k;
		for (i = k = 0; i < n; i++) {
			job = jobs[i];
			done = 0;
			if (pfd[1 + i].revents != 0)
				done = fcgi_read_some(job, now + FCGI_READ_SLICE_MS);
			if (!done && now >= job->deadline) {
				job->r.body_status = 408;
				job->r.body_reason = "request body not received in time";
				job->eof = done = 1;
			}
			if (done)
				fcgi_dispatch(ctx, job);
			else
				jobs[k++] = job;
		}
		n = k;
	}
	/* No more lingering: connections answered from now on close at once. */
	pthread_mutex_lock(&fcgi_in.mu);
	fcgi_in.started = 0;
	for (i = 0; i < fcgi_in.nlinger; i++)
		close(fcgi_in.linger[i]);
	fcgi_in.nlinger = 0;
	pthread_mutex_unlock(&fcgi_in.mu);
	for (i = 0; i < nl; i++)
		close(lg[i].fd);
	return NULL;
}

int
fcgi_start(const struct handler_ctx *ctx)
{
	int	 rc;

	fcgi_out.ctx = ctx;
	/* 1 to WRITER_BATCH_MAX: config.c bounds it. */
	fcgi_out.pending_max = ctx->config->batch_max;
	if ((rc = pthread_create(&fcgi_out.thread, NULL, fcgi_responder_main,
	    NULL)) != 0) {
		errno = rc;
		log_warn("fcgi: pthread_create");
		return -1;
	}
	fcgi_out.started = 1;
	if (pipe2(fcgi_in.wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		log_warn("fcgi: pipe");
		return -1;
	}
	if ((rc = pthread_create(&fcgi_in.thread, NULL, fcgi_reader_main,
	    (void *)ctx)) != 0) {
		errno = rc;
		log_warn("fcgi: pthread_create");
		return -1;
	}
	fcgi_in.started = 1;
	return 0;
}

/* Stop the reader thread once the bodies it waits for are in or late. */
static void
fcgi_reader_stop(void)
{
	if (!fcgi_in.started)
		return;
	pthread_mutex_lock(&fcgi_in.mu);
	fcgi_in.stopping = 1;
	pthread_mutex_unlock(&fcgi_in.mu);
	fcgi_reader_wake();
	pthread_join(fcgi_in.thread, NULL);
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
	struct fcgi_job		*job;
	struct fcgi_thread	*self;
	int			 rc;

	if ((self = fcgi_register()) == NULL) {
		log_warnx("fcgi: more than %d threads", FCGI_THREADS_MAX);
		return;
	}
	while (!fcgi_stopping) {
		/* Room for one more request in flight. */
		pthread_mutex_lock(&fcgi_out.mu);
		while (fcgi_out.pending >= fcgi_out.pending_max && !fcgi_stopping)
			pthread_cond_wait(&fcgi_out.room, &fcgi_out.mu);
		fcgi_out.pending++;
		pthread_mutex_unlock(&fcgi_out.mu);
		if ((job = calloc(1, sizeof(*job))) == NULL ||
		    FCGX_InitRequest(&job->fr, fcgi_listen_fd,
		    FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
			log_warnx("fcgi: out of memory for a request");
			free(job);
			fcgi_unreserve(1);
			sleep(1);
			continue;
		}
		rc = -1;
		pthread_mutex_lock(&fcgi_accept_mu);
		if (!fcgi_stopping) {
			self->in_accept = 1;
			rc = FCGX_Accept_r(&job->fr);
			self->in_accept = 0;
		}
		pthread_mutex_unlock(&fcgi_accept_mu);
		if (rc < 0) {
			FCGX_Free(&job->fr, 1);
			free(job);
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
		fcgi_read_start(job, max_body, ctx->config->read_timeout);
		if (fcgi_read_some(job, fcgi_mono_ms() + FCGI_READ_SLICE_MS))
			fcgi_dispatch(ctx, job);
		else
			fcgi_reader_add(job);
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
	resp_clear(&resp);
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
	fcgi_reader_stop();
}
