/* fuzz_vendor.c -- libFuzzer target: handler_prepare() (decode, authenticate, event key, row) of one vendor on arbitrary bytes. */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "event.h"
#include "handler.h"
#include "msg.h"
#include "req.h"
#include "resp.h"
#include "sig.h"
#include "vendor.h"

#ifndef FUZZ_VENDOR
#error "FUZZ_VENDOR must name the vendor"
#endif

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config		*cfg;
static const struct vendor	*vendor;

/* Headers an Aliyun request may carry; the rest of the input is query and body. */
static const char	*fuzz_ts;
static const char	*fuzz_sign;

static const char *
fuzz_param(void *ctx, const char *name)
{
	(void)ctx;
	if (strcmp(name, "HTTP_ALI_LIVE_TIMESTAMP") == 0)
		return fuzz_ts;
	if (strcmp(name, "HTTP_ALI_LIVE_SIGNATURE") == 0)
		return fuzz_sign;
	if (strcmp(name, "HTTP_HOST") == 0)
		return "hooks.example.com:8080";
	/* IVS's header value and Mux's signature header, when bit 2 is set. */
	if (strcmp(name, "HTTP_X_LIVEHOOK_KEY") == 0 && fuzz_sign != NULL)
		return "abcdef";
	if (strcmp(name, "HTTP_MUX_SIGNATURE") == 0 && fuzz_sign != NULL)
		return "t=1700000000,v1=00,v1=526d21391541fee504aeb95d447c460981aa812ae73f31c54a09f3ba20fb0cc1";
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 path[] = "/tmp/fuzz_vendor.XXXXXX";
	FILE	*f;
	int	 fd;

	(void)argc;
	(void)argv;
	if (sig_init() == -1 || (fd = mkstemp(path)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(f, "[%s]\nkey = 0123456789abcdef0123456789abcdef\nkey = abcdef\n"
	    "token = fuzz-token\n", FUZZ_VENDOR);
	/* issue 13: the signed-publish check of the self-hosted servers. */
	if (strcmp(FUZZ_VENDOR, "srs") == 0 || strcmp(FUZZ_VENDOR, "nginx-rtmp") == 0)
		fprintf(f, "publish_key = fuzz-publish-key\n");
	if (strcmp(FUZZ_VENDOR, "ivs") == 0)
		fprintf(f, "header = X-Livehook-Key\n");
	fclose(f);
	cfg = config_load(path);
	unlink(path);
	vendor = vendor_find(FUZZ_VENDOR, strlen(FUZZ_VENDOR));
	if (cfg == NULL || vendor == NULL)
		abort();
	return 0;
}

/*
 * Input: "<query>\0<body>" (without a NUL, all of it is the body); the
 * first byte of the query picks GET or POST and whether headers are sent.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event		 ev;
	struct msg		*msg = NULL;
	struct resp		 resp;
	struct req		 r;
	struct buf		 row = BUF_INIT;
	char			*copy;
	const char		*nul;
	size_t			 qlen;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(&r, 0, sizeof(r));
	memset(&resp, 0, sizeof(resp));
	nul = memchr(copy, '\0', size);
	qlen = nul != NULL ? (size_t)(nul - copy) : 0;
	r.param = fuzz_param;
	r.method = qlen > 0 && (copy[0] & 1) ? "GET" : "POST";
	fuzz_ts = qlen > 0 && (copy[0] & 2) ? "1700000000" : NULL;
	fuzz_sign = qlen > 0 && (copy[0] & 4) ? "c7c76604b64cd0878731b48310375dbe" : NULL;
	r.query = nul != NULL ? copy : "";
	r.body = nul != NULL ? nul + 1 : copy;
	r.body_len = nul != NULL ? size - qlen - 1 : size;
	r.remote_addr = "192.0.2.1";
	r.received_at = 1700000000000LL;
	handler_prepare(cfg, &r, vendor, (copy[0] & 8) ? "fuzz-token" : NULL,
	    &msg, &ev, &row, &resp);
	buf_free(&row);
	msg_free(msg);
	free(copy);
	return 0;
}
