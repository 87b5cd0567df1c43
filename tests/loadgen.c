/* loadgen.c -- send many unique, correctly signed callbacks of all four vendors over HTTP/1.1 and record each answer (fault tests, bench/run). */
#include "autoconfig.h"

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sig.h"

/*
 * usage: loadgen [-r] [-a addr] -p port -u prefix -c clients [-n per-client | -d secs] -o out [-t tag]
 * Keys come from LH_KEY_ALIYUN, LH_KEY_HUAWEI, LH_KEY_TENCENT and
 * LH_TOKEN_JDCLOUD (as tests/lib/stack.sh exports them).  Every request
 * is a new event on its own stream "<tag>-<client>-<i>".  Each line of
 * out is "<stream> <vendor> <status> <tries>" for the final attempt; with -r a
 * non-2xx answer (or no answer) is retried, as a vendor would, until 2xx.
 * With -d each client sends for secs seconds however fast the machine is,
 * so that a fault injected meanwhile always meets the load.
 *
 * loadgen -G count -o file [-u prefix] [-t tag]: write count requests, one
 * per line as "METHOD<TAB>PATH<TAB>HEADERS<TAB>BODY" (HEADERS: "Name: v"
 * joined by "|", or "-"), for bench/wrk.lua; valid for ~9 minutes.
 *
 * loadgen -R rate -d secs -p port -f file [-C conns]: open loop.  Send
 * the requests of file (as -G writes it, each once, in order) on a fixed
 * schedule, rate per second in all for secs seconds, over keep-alive
 * HTTP/1.1 connections to 127.0.0.1:port (-a: another address): one more is opened whenever a
 * request is due and all are busy, up to conns (default and at most
 * PACE_MAX_CONNS); beyond that, due requests wait for a connection.  The
 * latency of a request runs from its scheduled send time, not from when it
 * was actually sent, so that a stalled server shows in it instead of
 * slowing the load down (coordinated omission).  After the last scheduled
 * send it waits PACE_DRAIN_SECS at most for the answers, then prints one
 * line: "PACED rate= secs= sent= 2xx= non2xx= noanswer= achieved= p50_ms=
 * p99_ms= p999_ms= max_ms= conns= lag_p50_ms= lag_p99_ms=" (achieved:
 * answers per second from the first scheduled send to the last answer;
 * conns: the most open at once; lag: how late the requests were actually
 * sent, waiting for a connection included).  -L trace writes one line per
 * request, in schedule order: "due_ms latency_ms lag_ms status" (due from
 * the first scheduled send; status 0: no answer), to see when a tail
 * happened, not only how long it was.
 */

static int		 port, clients = 4, per = 500, retry;
static time_t		 deadline;	/* -d: send until then instead of -n each */
static const char	*prefix = "/livehook", *tag = "lg";
static struct in_addr	 dest;		/* -a: the server's address (127.0.0.1) */
static const char	*k_ali, *k_hw, *k_tc, *t_jd;
static FILE		*out;
static pthread_mutex_t	 out_mu = PTHREAD_MUTEX_INITIALIZER;

/* Open loop (-R): the bounds. */
#define PACE_MAX_RATE	100000	/* requests per second, in all */
#define PACE_MAX_SECS	600	/* of scheduled sending */
#define PACE_MAX_CONNS	512	/* keep-alive connections open at once */
#define PACE_PREOPEN	8	/* connections opened before the first send */
#define PACE_DRAIN_SECS	10	/* wait for the last answers at most */
#define PACE_REQ_MAX	8192	/* bytes of one request */
#define PACE_RESP_MAX	8192	/* bytes of one answer (head and body) */
#define PACE_EVENTS	64	/* epoll events taken per wait */
#define PACE_LEAD_NS	10000000LL	/* from the set-up to the first scheduled send */
#define NSEC		1000000000LL

/* What one keep-alive connection is doing. */
enum pace_state {
	PACE_FREE,		/* slot unused */
	PACE_CONNECTING,	/* connect(2) in progress, request assigned */
	PACE_SENDING,		/* request partly written */
	PACE_WAITING,		/* request written, reading the answer */
	PACE_IDLE		/* open, nothing in flight */
};

struct pace_conn {
	int		 fd;
	enum pace_state	 state;
	long		 req;			/* request in flight, or -1 */
	int		 idle_pos;		/* index in pace_idle[] while idle */
	char		 out[PACE_REQ_MAX];
	size_t		 outlen, outoff;
	char		 in[PACE_RESP_MAX + 1];
	size_t		 inlen;
};

static struct pace_conn	 pace_conns[PACE_MAX_CONNS];
static struct pace_conn	*pace_idle[PACE_MAX_CONNS];
static int		 pace_nidle, pace_nopen, pace_maxopen, pace_epfd;
static long		 pace_rate, pace_n;		/* requests in all */
static int		 pace_secs, pace_conns_max = PACE_MAX_CONNS;
static int64_t		 pace_t0;			/* first scheduled send */
static const char	*pace_file;
static const char	**pace_line;			/* start of each line of file */
static size_t		*pace_linelen;
static int		*pace_status;			/* 0: no answer (yet) */
static int64_t		*pace_lat;			/* ns from scheduled send to answer */
static int64_t		*pace_lag;			/* ns from scheduled to actual send */
static const char	*pace_trace;			/* -L: one line per request */
static long		 pace_sent, pace_answered;
static int64_t		 pace_last;			/* time of the last answer */

/* Send one request, return the HTTP status (0: no answer). */
static int
http(const char *req, size_t len)
{
	struct sockaddr_in	 sa;
	struct timeval		 tmo = { 30, 0 };
	char			 resp[2048];
	ssize_t			 n;
	size_t			 got = 0, off = 0;
	int			 fd, status = 0;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	/* A wedged server must fail the test, not hang it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr = dest;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1)
		goto out;
	while (off < len) {
		if ((n = write(fd, req + off, len - off)) <= 0)
			goto out;
		off += (size_t)n;
	}
	while (got < sizeof(resp) - 1 && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	if (strncmp(resp, "HTTP/1.", 7) == 0 && got > 12)
		status = atoi(resp + 9);
out:
	close(fd);
	return status;
}

/*
 * Build the request for event i of a client; the vendor rotates.  The
 * event (its time et and Tencent sequence seq) stays the same across
 * retries; only the signature is made again at now, as a vendor does.
 */
static size_t
build(char *req, size_t sz, const char *stream, int v, long et, int seq, long now,
    const char **vendor)
{
	char	 body[1024], in[512], sign[SIG_MD5_HEX + 1], path[256], hdr[256] = "";
	char	 t0[32], t1[32];
	int	 blen;
	const char *method = "POST", *query = "";
	struct tm tm;
	time_t	 t;

	switch (v) {
	case 0:
		*vendor = "huawei";
		snprintf(in, sizeof(in), "%s%ld", k_hw, now);
		sig_md5_hex(in, strlen(in), sign);
		/* A file of the last minute: its month's partitions exist. */
		t = (time_t)et - 60;
		strftime(t0, sizeof(t0), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		t = (time_t)et;
		strftime(t1, sizeof(t1), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		blen = snprintf(body, sizeof(body), "{\"project_id\":\"p\",\"job_id\":\"job-%s\","
		    "\"event_type\":\"RECORD_FILE_COMPLETE\",\"publish_domain\":\"push.example.com\","
		    "\"app\":\"live\",\"stream\":\"%s\",\"record_format\":\"HLS\",\"file_size\":1000,"
		    "\"record_duration\":60,\"start_time\":\"%s\","
		    "\"end_time\":\"%s\",\"auth_sign\":\"%s\",\"auth_timestamp\":\"%ld\"}",
		    stream, stream, t0, t1, sign, now);
		snprintf(path, sizeof(path), "%s/huawei", prefix);
		break;
	case 1:
		*vendor = "tencent";
		snprintf(in, sizeof(in), "%s%ld", k_tc, now + 300);
		sig_md5_hex(in, strlen(in), sign);
		blen = snprintf(body, sizeof(body), "{\"app\":\"push.example.com\",\"appid\":1,"
		    "\"appname\":\"live\",\"stream_id\":\"%s\",\"channel_id\":\"%s\",\"event_time\":%ld,"
		    "\"event_type\":1,\"sequence\":\"%ld%06d\",\"user_ip\":\"203.0.113.7\","
		    "\"sign\":\"%s\",\"t\":%ld}", stream, stream, et, et, seq, sign, now + 300);
		snprintf(path, sizeof(path), "%s/tencent", prefix);
		break;
	case 2:
		*vendor = "jdcloud";
		blen = snprintf(body, sizeof(body), "{\"version\":\"v1.1\",\"publishDomain\":"
		    "\"push.example.com\",\"appName\":\"live\",\"streamName\":\"%s\","
		    "\"event\":\"publish_started\",\"status\":\"success\",\"eventTime\":%ld123}",
		    stream, et);
		snprintf(path, sizeof(path), "%s/jdcloud/%s", prefix, t_jd);
		break;
	default:
		*vendor = "aliyun";
		method = "GET";
		blen = 0;
		body[0] = '\0';
		snprintf(in, sizeof(in), "push.example.com|%ld|%s", now, k_ali);
		sig_md5_hex(in, strlen(in), sign);
		snprintf(hdr, sizeof(hdr), "ALI-LIVE-TIMESTAMP: %ld\r\nALI-LIVE-SIGNATURE: %s\r\n", now, sign);
		snprintf(path, sizeof(path), "%s/aliyun", prefix);
		query = "";
		(void)query;
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
		    "?action=publish&ip=203.0.113.7&id=%s&app=push.example.com&appname=live&time=%ld",
		    stream, et);
		break;
	}
	if (strcmp(method, "GET") == 0)
		return (size_t)snprintf(req, sz, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
		    "Connection: close\r\n\r\n", path, hdr);
	return (size_t)snprintf(req, sz, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
	    path, blen, body);
}

static void *
client(void *arg)
{
	long		 id = (long)arg, now, et;
	char		 req[4096], stream[64];
	const char	*vendor;
	size_t		 len;
	int		 i, status, tries, seq;

	for (i = 0; deadline ? time(NULL) < deadline : i < per; i++) {
		snprintf(stream, sizeof(stream), "%s-%ld-%d", tag, id, i);
		tries = 0;
		et = (long)time(NULL);
		seq = rand() % 1000000;
		do {
			if (tries++ > 0)
				usleep(100000);
			now = (long)time(NULL);
			len = build(req, sizeof(req), stream, (int)((id + i) % 4), et, seq, now,
			    &vendor);
			status = http(req, len);
		} while (retry && (status < 200 || status > 299) && tries < 600);
		pthread_mutex_lock(&out_mu);
		fprintf(out, "%s %s %d %d\n", stream, vendor, status, tries);
		pthread_mutex_unlock(&out_mu);
	}
	return NULL;
}

/*
 * Write count requests for wrk, rotating through the four vendors and
 * their kinds of event.  Returns 0 or 1.
 */
static int
generate(long count)
{
	char		 req[4096], stream[64], *p, *hdrs, *body, *line;
	const char	*vendor;
	long		 i, now = (long)time(NULL);

	for (i = 0; i < count; i++) {
		snprintf(stream, sizeof(stream), "%s-%ld", tag, i);
		build(req, sizeof(req), stream, (int)(i % 4), now, rand() % 1000000, now, &vendor);
		/* Split the HTTP request back into its parts. */
		line = req;
		p = strstr(line, " HTTP/1.1\r\n");
		*p = '\0';
		hdrs = p + strlen(" HTTP/1.1\r\n");
		body = strstr(hdrs, "\r\n\r\n");
		*body = '\0';
		body += 4;
		fputs(strchr(line, ' ') - line == 3 ? "GET\t" : "POST\t", out);
		fputs(strchr(line, ' ') + 1, out);
		fputc('\t', out);
		/* Keep the signature headers only; wrk sets the rest. */
		if ((p = strstr(hdrs, "ALI-LIVE-TIMESTAMP: ")) != NULL) {
			char *e = strstr(p, "\r\nConnection");
			*e = '\0';
			for (; *p != '\0'; p++)
				if (*p != '\n')
					fputc(*p == '\r' ? '|' : *p, out);
		} else
			fputc('-', out);
		fprintf(out, "\t%s\n", *body ? body : "-");
	}
	return fclose(out) == 0 ? 0 : 1;
}

/* Monotonic time in nanoseconds. */
static int64_t
pace_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* When request i is due: the schedule is fixed before the first send. */
static int64_t
pace_due(long i)
{
	return pace_t0 + (int64_t)((double)i * NSEC / (double)pace_rate);
}

/*
 * Map file (as -G writes it) and find the first pace_n lines.  Returns 0,
 * or -1 (logged) when it cannot be read or holds fewer requests.
 */
static int
pace_load(void)
{
	struct stat	 st;
	const char	*p, *end, *nl;
	long		 i;
	int		 fd;

	if ((fd = open(pace_file, O_RDONLY)) == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "loadgen: %s: %s\n", pace_file, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	p = st.st_size > 0 ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (p == NULL || p == MAP_FAILED) {
		fprintf(stderr, "loadgen: %s: empty or unreadable\n", pace_file);
		return -1;
	}
	end = p + st.st_size;
	pace_line = calloc((size_t)pace_n, sizeof(*pace_line));
	pace_linelen = calloc((size_t)pace_n, sizeof(*pace_linelen));
	pace_status = calloc((size_t)pace_n, sizeof(*pace_status));
	pace_lat = calloc((size_t)pace_n, sizeof(*pace_lat));
	pace_lag = calloc((size_t)pace_n, sizeof(*pace_lag));
	if (!pace_line || !pace_linelen || !pace_status || !pace_lat || !pace_lag) {
		fprintf(stderr, "loadgen: out of memory for %ld requests\n", pace_n);
		return -1;
	}
	for (i = 0; i < pace_n && p < end; i++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		pace_line[i] = p;
		pace_linelen[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (i < pace_n) {
		fprintf(stderr, "loadgen: %s: %ld requests, %ld needed (-R x -d)\n",
		    pace_file, i, pace_n);
		return -1;
	}
	return 0;
}

/*
 * Format request i ("METHOD<TAB>PATH<TAB>HEADERS<TAB>BODY") as an HTTP/1.1
 * keep-alive request into c->out.  Returns 0, or -1 for a malformed or
 * too long line.
 */
static int
pace_format(struct pace_conn *c, long i)
{
	const char	*f[4], *p = pace_line[i], *end = p + pace_linelen[i], *t;
	size_t		 flen[4], n = 0;
	int		 k, r;

	for (k = 0; k < 4; k++) {
		f[k] = p;
		t = k < 3 ? memchr(p, '\t', (size_t)(end - p)) : end;
		if (t == NULL)
			return -1;
		flen[k] = (size_t)(t - p);
		p = t + 1;
	}
	r = snprintf(c->out, sizeof(c->out), "%.*s %.*s HTTP/1.1\r\nHost: 127.0.0.1\r\n",
	    (int)flen[0], f[0], (int)flen[1], f[1]);
	if (r < 0 || (size_t)r >= sizeof(c->out))
		return -1;
	n = (size_t)r;
	/* The headers, "Name: v" joined by "|". */
	if (!(flen[2] == 1 && f[2][0] == '-')) {
		for (t = f[2]; t < f[2] + flen[2] && n + 2 < sizeof(c->out); t++) {
			if (*t == '|') {
				c->out[n++] = '\r';
				c->out[n++] = '\n';
			} else
				c->out[n++] = *t;
		}
		if (n + 2 >= sizeof(c->out))
			return -1;
		c->out[n++] = '\r';
		c->out[n++] = '\n';
	}
	if (flen[3] == 1 && f[3][0] == '-')
		r = snprintf(c->out + n, sizeof(c->out) - n, "\r\n");
	else
		r = snprintf(c->out + n, sizeof(c->out) - n, "Content-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%.*s", flen[3], (int)flen[3], f[3]);
	if (r < 0 || (size_t)r >= sizeof(c->out) - n)
		return -1;
	c->outlen = n + (size_t)r;
	c->outoff = 0;
	return 0;
}

/* Tell epoll what c waits for: to write (connecting, sending) or to read. */
static void
pace_watch(struct pace_conn *c, int op)
{
	struct epoll_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP |
	    (c->state == PACE_CONNECTING || c->state == PACE_SENDING ? EPOLLOUT : 0);
	ev.data.ptr = c;
	epoll_ctl(pace_epfd, op, c->fd, &ev);
}

/* Put c on the idle list. */
static void
pace_set_idle(struct pace_conn *c)
{
	c->state = PACE_IDLE;
	c->req = -1;
	c->inlen = 0;
	c->idle_pos = pace_nidle;
	pace_idle[pace_nidle++] = c;
	pace_watch(c, EPOLL_CTL_MOD);
}

/* Take c off the idle list. */
static void
pace_unidle(struct pace_conn *c)
{
	struct pace_conn	*last = pace_idle[--pace_nidle];

	pace_idle[c->idle_pos] = last;
	last->idle_pos = c->idle_pos;
}

/*
 * Close c.  A request still in flight on it stays without an answer: it
 * is not sent again, which could store it twice.
 */
static void
pace_close(struct pace_conn *c)
{
	if (c->state == PACE_IDLE)
		pace_unidle(c);
	close(c->fd);
	c->fd = -1;
	c->state = PACE_FREE;
	c->req = -1;
	pace_nopen--;
}

/* Write what is left of c's request; 0, or -1 when the connection failed. */
static int
pace_send(struct pace_conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (c->state != PACE_SENDING) {
				c->state = PACE_SENDING;
				pace_watch(c, EPOLL_CTL_MOD);
			}
			return 0;
		}
		if (n <= 0)
			return -1;
		if (c->outoff == 0) {
			pace_sent++;
			pace_lag[c->req] = pace_now() - pace_due(c->req);
		}
		c->outoff += (size_t)n;
	}
	c->state = PACE_WAITING;
	pace_watch(c, EPOLL_CTL_MOD);
	return 0;
}

/*
 * Open a connection to 127.0.0.1:port (non-blocking; with block set,
 * wait until it is established).  Returns it, or NULL.
 */
static struct pace_conn *
pace_open(int block)
{
	struct sockaddr_in	 sa;
	struct pace_conn	*c = NULL;
	int			 i, fd, one = 1;

	for (i = 0; i < PACE_MAX_CONNS; i++)
		if (pace_conns[i].state == PACE_FREE) {
			c = &pace_conns[i];
			break;
		}
	if (c == NULL || (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr = dest;
	if (!block)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS) {
		close(fd);
		return NULL;
	}
	if (block)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	c->fd = fd;
	c->req = -1;
	c->inlen = 0;
	c->state = block ? PACE_IDLE : PACE_CONNECTING;
	pace_watch(c, EPOLL_CTL_ADD);
	if (block) {
		c->idle_pos = pace_nidle;
		pace_idle[pace_nidle++] = c;
	}
	if (++pace_nopen > pace_maxopen)
		pace_maxopen = pace_nopen;
	return c;
}

/* Give request i to connection c (idle or just opened); 0 or -1. */
static int
pace_assign(struct pace_conn *c, long i)
{
	if (pace_format(c, i) == -1) {
		fprintf(stderr, "loadgen: %s: line %ld malformed\n", pace_file, i + 1);
		return -1;
	}
	c->req = i;
	c->inlen = 0;
	if (c->state == PACE_IDLE) {
		pace_unidle(c);
		c->state = PACE_WAITING;
		if (pace_send(c) == -1)
			pace_close(c);
	}
	return 0;
}

/*
 * Is c->in a complete answer?  Returns its status (> 0), 0 when more is
 * to come, -1 when it is malformed or too long.  Sets *close_after to 1
 * when the server closes the connection after it, to 2 when the answer has
 * no length and ends where the connection does.
 */
static int
pace_parse(struct pace_conn *c, int *close_after)
{
	char	*hend, *line, *eol, *p, *q;
	long	 clen = -1, sz;
	int	 chunked = 0, status;

	c->in[c->inlen] = '\0';
	if ((hend = strstr(c->in, "\r\n\r\n")) == NULL)
		return c->inlen >= PACE_RESP_MAX ? -1 : 0;
	if (strncmp(c->in, "HTTP/1.", 7) != 0 || c->inlen < 12 ||
	    (status = atoi(c->in + 9)) < 100 || status > 999)
		return -1;
	*close_after = strncmp(c->in, "HTTP/1.0", 8) == 0;
	for (line = strstr(c->in, "\r\n") + 2; line < hend; line = eol + 2) {
		eol = strstr(line, "\r\n");
		if (strncasecmp(line, "Content-Length:", 15) == 0)
			clen = strtol(line + 15, NULL, 10);
		else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0)
			chunked = strstr(line, "chunked") != NULL && strstr(line, "chunked") < eol;
		else if (strncasecmp(line, "Connection:", 11) == 0) {
			p = line + 11;
			while (*p == ' ')
				p++;
			if (strncasecmp(p, "close", 5) == 0)
				*close_after = 1;
			else if (strncasecmp(p, "keep-alive", 10) == 0)
				*close_after = 0;
		}
	}
	p = hend + 4;
	if (chunked) {
		/* RFC 9112 7.1: size CRLF data CRLF ... 0 CRLF [trailers] CRLF. */
		for (;;) {
			if ((q = strstr(p, "\r\n")) == NULL)
				return c->inlen >= PACE_RESP_MAX ? -1 : 0;
			sz = strtol(p, NULL, 16);
			if (sz < 0 || sz > PACE_RESP_MAX)
				return -1;
			if (sz == 0) {
				if (strncmp(q + 2, "\r\n", 2) == 0 || strstr(q + 2, "\r\n\r\n") != NULL)
					return status;
				return c->inlen >= PACE_RESP_MAX ? -1 : 0;
			}
			if ((size_t)(q + 2 + sz + 2 - c->in) > c->inlen)
				return c->inlen >= PACE_RESP_MAX ? -1 : 0;
			p = q + 2 + sz + 2;
		}
	}
	if (clen < 0) {
		/* No length: the body ends with the connection (or is empty, 1xx, 204, 304). */
		if (status == 204 || status == 304 || status < 200)
			return status;
		*close_after = 2;
		return 0;
	}
	if ((size_t)(p - c->in) + (size_t)clen > c->inlen)
		return c->inlen >= PACE_RESP_MAX ? -1 : 0;
	return status;
}

/* Record the answer status of c's request, received at now. */
static void
pace_answer(struct pace_conn *c, int status, int64_t now)
{
	pace_status[c->req] = status;
	pace_lat[c->req] = now - pace_due(c->req);
	pace_answered++;
	pace_last = now;
}

/* Something happened on c (epoll events ev) at now. */
static void
pace_event(struct pace_conn *c, uint32_t ev, int64_t now)
{
	ssize_t	 n;
	int	 err = 0, status, close_after = 0;
	socklen_t len = sizeof(err);

	if (c->state == PACE_FREE)
		return;		/* closed earlier in this round of events */
	if (c->state == PACE_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 || err != 0) {
			pace_close(c);
			return;
		}
		c->state = PACE_SENDING;
		if (pace_send(c) == -1) {
			pace_close(c);
			return;
		}
	} else if (c->state == PACE_SENDING && (ev & EPOLLOUT)) {
		if (pace_send(c) == -1) {
			pace_close(c);
			return;
		}
	}
	if (!(ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	if (c->state == PACE_IDLE) {
		/* The server closed a keep-alive connection (or sent what we did not ask). */
		pace_close(c);
		return;
	}
	for (;;) {
		n = recv(c->fd, c->in + c->inlen, PACE_RESP_MAX - c->inlen, 0);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* Closed: an answer without a length ends here, any other is lost. */
			if (c->state == PACE_WAITING && c->inlen > 0 &&
			    pace_parse(c, &close_after) == 0 && close_after == 2)
				pace_answer(c, atoi(c->in + 9), now);
			pace_close(c);
			return;
		}
		c->inlen += (size_t)n;
		if ((status = pace_parse(c, &close_after)) == -1) {
			pace_close(c);
			return;
		}
		if (status > 0)
			break;
	}
	pace_answer(c, status, now);
	if (close_after)
		pace_close(c);
	else
		pace_set_idle(c);
}

/* Compare two latencies, for qsort. */
static int
pace_cmp(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th quantile (nearest rank) of the n sorted latencies, in ms. */
static double
pace_pct(const int64_t *lat, long n, double p)
{
	long	 k;

	if (n == 0)
		return 0;
	k = (long)ceil((double)n * p) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return (double)lat[k] / 1e6;
}

/* Wait for events on pace_epfd, at most until then; returns their number. */
static int
pace_wait(struct epoll_event *evs, int64_t until)
{
	int64_t		 left = until - pace_now();
	int		 n;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
	struct timespec	 ts;
	static int	 nosys;

	if (left < 0)
		left = 0;
	if (!nosys) {
		/* Nanoseconds: at thousands of requests per second a millisecond is too coarse. */
		ts.tv_sec = (time_t)(left / NSEC);
		ts.tv_nsec = (long)(left % NSEC);
		if ((n = epoll_pwait2(pace_epfd, evs, PACE_EVENTS, &ts, NULL)) != -1 ||
		    errno != ENOSYS)
			return n;
		nosys = 1;
	}
#endif
	if (left < 0)
		left = 0;
	n = epoll_wait(pace_epfd, evs, PACE_EVENTS, (int)((left + 999999) / 1000000));
	return n;
}

/*
 * The open loop (-R): send pace_n requests on schedule, collect the
 * answers, print the summary.  Returns 0, or 1 when it could not run.
 */
static int
pace(void)
{
	struct epoll_event	 evs[PACE_EVENTS];
	struct pace_conn	*c;
	int64_t			 now, end, *lat;
	long			 next = 0, queued = 0, i, ok = 0, bad = 0, nlat = 0, nlag = 0;
	double			 lag50, lag99;
	int			 n, k;

	if (pace_load() == -1)
		return 1;
	if ((pace_epfd = epoll_create1(0)) == -1)
		return 1;
	for (i = 0; i < PACE_MAX_CONNS; i++)
		pace_conns[i].fd = -1;
	for (i = 0; i < PACE_PREOPEN && i < pace_conns_max; i++)
		if (pace_open(1) == NULL) {
			fprintf(stderr, "loadgen: cannot connect to %s:%d\n", inet_ntoa(dest), port);
			return 1;
		}
	pace_t0 = pace_now() + PACE_LEAD_NS;
	end = pace_due(pace_n) + (int64_t)PACE_DRAIN_SECS * NSEC;
	for (;;) {
		now = pace_now();
		/* Requests due now join the queue; the queue is [queued, next). */
		while (next < pace_n && pace_due(next) <= now)
			next++;
		while (queued < next) {
			if (pace_nidle > 0)
				c = pace_idle[pace_nidle - 1];
			else if (pace_nopen < pace_conns_max && (c = pace_open(0)) != NULL)
				;
			else
				break;
			if (pace_assign(c, queued++) == -1)
				return 1;
		}
		if (queued == pace_n && pace_nopen == pace_nidle)
			break;		/* all sent, nothing in flight */
		if (now >= end)
			break;
		n = pace_wait(evs, next < pace_n ? pace_due(next) : end);
		now = pace_now();
		for (k = 0; k < n; k++)
			pace_event(evs[k].data.ptr, evs[k].events, now);
	}
	if ((lat = calloc((size_t)pace_n, sizeof(*lat))) == NULL)
		return 1;
	for (i = 0; i < pace_n; i++) {
		if (pace_status[i] == 0)
			continue;
		if (pace_status[i] >= 200 && pace_status[i] <= 299)
			ok++;
		else
			bad++;
		lat[nlat++] = pace_lat[i];
	}
	if (pace_trace != NULL) {
		FILE	*tf = fopen(pace_trace, "w");

		if (tf == NULL)
			fprintf(stderr, "loadgen: %s: %s\n", pace_trace, strerror(errno));
		for (i = 0; tf != NULL && i < pace_n; i++)
			fprintf(tf, "%.3f %.3f %.3f %d\n", (double)(pace_due(i) - pace_t0) / 1e6,
			    (double)pace_lat[i] / 1e6, (double)pace_lag[i] / 1e6, pace_status[i]);
		if (tf != NULL)
			fclose(tf);
	}
	qsort(lat, (size_t)nlat, sizeof(*lat), pace_cmp);
	printf("PACED rate=%ld secs=%d sent=%ld 2xx=%ld non2xx=%ld noanswer=%ld achieved=%.0f "
	    "p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f conns=%d",
	    pace_rate, pace_secs, pace_sent, ok, bad, pace_n - pace_answered,
	    pace_last > pace_t0 ? (double)pace_answered * NSEC / (double)(pace_last - pace_t0) : 0.0,
	    pace_pct(lat, nlat, 0.50), pace_pct(lat, nlat, 0.99), pace_pct(lat, nlat, 0.999),
	    nlat > 0 ? (double)lat[nlat - 1] / 1e6 : 0.0, pace_maxopen);
	/* How late loadgen itself sent (waiting for a connection included). */
	for (i = 0; i < pace_n; i++)
		if (i < queued && pace_status[i] != 0)
			lat[nlag++] = pace_lag[i];
	qsort(lat, (size_t)nlag, sizeof(*lat), pace_cmp);
	lag50 = pace_pct(lat, nlag, 0.50);
	lag99 = pace_pct(lat, nlag, 0.99);
	printf(" lag_p50_ms=%.2f lag_p99_ms=%.2f\n", lag50, lag99);
	free(lat);
	return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	pthread_t	 t[64];
	const char	*outpath = NULL;
	long		 i, gen = 0;
	int		 ch;

	dest.s_addr = htonl(INADDR_LOOPBACK);
	while ((ch = getopt(argc, argv, "C:G:L:R:a:c:d:f:n:o:p:rt:u:")) != -1)
		switch (ch) {
		case 'C': pace_conns_max = atoi(optarg); break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &dest) != 1)
				goto usage;
			break;
		case 'G': gen = atol(optarg); break;
		case 'L': pace_trace = optarg; break;
		case 'R': pace_rate = atol(optarg); break;
		case 'c': clients = atoi(optarg); break;
		case 'd':
			pace_secs = atoi(optarg);
			deadline = time(NULL) + pace_secs;
			break;
		case 'f': pace_file = optarg; break;
		case 'n': per = atoi(optarg); break;
		case 'o': outpath = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'r': retry = 1; break;
		case 't': tag = optarg; break;
		case 'u': prefix = optarg; break;
		default: goto usage;
		}
	if (pace_rate != 0) {
		if (pace_rate < 1 || pace_rate > PACE_MAX_RATE || pace_secs < 1 ||
		    pace_secs > PACE_MAX_SECS || port <= 0 || port > 65535 || pace_file == NULL ||
		    pace_conns_max < 1 || pace_conns_max > PACE_MAX_CONNS)
			goto usage;
		pace_n = pace_rate * pace_secs;
		return pace();
	}
	k_ali = getenv("LH_KEY_ALIYUN");
	k_hw = getenv("LH_KEY_HUAWEI");
	k_tc = getenv("LH_KEY_TENCENT");
	t_jd = getenv("LH_TOKEN_JDCLOUD");
	if ((port <= 0 && gen == 0) || outpath == NULL || clients < 1 ||
	    clients > 64 || !k_ali || !k_hw || !k_tc || !t_jd)
		goto usage;
	if (sig_init() == -1 || (out = fopen(outpath, "w")) == NULL)
		return 1;
	if (gen > 0)
		return generate(gen);
	srand((unsigned)getpid());
	for (i = 0; i < clients; i++)
		pthread_create(&t[i], NULL, client, (void *)i);
	for (i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	fclose(out);
	return 0;
usage:
	fprintf(stderr, "usage: loadgen [-r] [-a addr] -p port [-u prefix] [-c clients] [-n per-client] "
	    "[-d secs] [-t tag] -o out   (keys in LH_KEY_ALIYUN, LH_KEY_HUAWEI, LH_KEY_TENCENT, LH_TOKEN_JDCLOUD)\n"
	    "       loadgen -G count -o file [-u prefix] [-t tag]\n"
	    "       loadgen -R rate -d secs [-a addr] -p port -f file [-C conns] [-L trace]   (rate <= %d/s, secs <= %d, "
	    "conns <= %d)\n", PACE_MAX_RATE, PACE_MAX_SECS, PACE_MAX_CONNS);
	return 2;
}
