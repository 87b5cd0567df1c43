/* loadgen.c -- send many unique, correctly signed callbacks of all four vendors over HTTP/1.1 and record each answer (fault tests). */
#include "autoconfig.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sig.h"

/*
 * usage: loadgen [-r] -p port -u prefix -c clients [-n per-client | -d secs] -o out [-t tag]
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
 */

static int		 port, clients = 4, per = 500, retry;
static time_t		 deadline;	/* -d: send until then instead of -n each */
static const char	*prefix = "/livehook", *tag = "lg";
static const char	*k_ali, *k_hw, *k_tc, *t_jd;
static FILE		*out;
static pthread_mutex_t	 out_mu = PTHREAD_MUTEX_INITIALIZER;

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
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
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
	int	 blen;
	const char *method = "POST", *query = "";

	switch (v) {
	case 0:
		*vendor = "huawei";
		snprintf(in, sizeof(in), "%s%ld", k_hw, now);
		sig_md5_hex(in, strlen(in), sign);
		blen = snprintf(body, sizeof(body), "{\"project_id\":\"p\",\"job_id\":\"job-%s\","
		    "\"event_type\":\"RECORD_FILE_COMPLETE\",\"publish_domain\":\"push.example.com\","
		    "\"app\":\"live\",\"stream\":\"%s\",\"record_format\":\"HLS\",\"file_size\":1000,"
		    "\"record_duration\":60,\"start_time\":\"2024-05-01T10:00:00Z\","
		    "\"end_time\":\"2024-05-01T10:01:00Z\",\"auth_sign\":\"%s\",\"auth_timestamp\":\"%ld\"}",
		    stream, stream, sign, now);
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

int
main(int argc, char *argv[])
{
	pthread_t	 t[64];
	const char	*outpath = NULL;
	long		 i, gen = 0;
	int		 ch;

	while ((ch = getopt(argc, argv, "G:c:d:n:o:p:rt:u:")) != -1)
		switch (ch) {
		case 'G': gen = atol(optarg); break;
		case 'c': clients = atoi(optarg); break;
		case 'd': deadline = time(NULL) + atoi(optarg); break;
		case 'n': per = atoi(optarg); break;
		case 'o': outpath = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'r': retry = 1; break;
		case 't': tag = optarg; break;
		case 'u': prefix = optarg; break;
		default: goto usage;
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
	fprintf(stderr, "usage: loadgen [-r] -p port [-u prefix] [-c clients] [-n per-client] "
	    "[-d secs] [-t tag] -o out   (keys in LH_KEY_ALIYUN, LH_KEY_HUAWEI, LH_KEY_TENCENT, LH_TOKEN_JDCLOUD)\n");
	return 2;
}
