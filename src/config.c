/* config.c -- read livehook.conf(5) (the only libinih user). */
/*
 * libinih r55 as Debian 12 builds it (checked against /usr/include/ini.h
 * and by experiment):
 *
 * - Lines live in a stack buffer of INI_MAX_LINE = 200 bytes.  A longer
 *   line is silently cut: its head is parsed as a line, its tail as
 *   another one, and every later line number is off by one.  So the file
 *   is read here and handed to ini_parse_stream() one line at a time by
 *   config_reader(), which refuses a line longer than the buffer allows
 *   (INI_MAX_LINE - 3 = 197 bytes, not counting the line end; "3 more
 *   than the longest line" says ini.h) with a clear error and keeps the
 *   line numbers right.  A long conninfo belongs in a pg_service.conf
 *   service ("conninfo = service=livehook") or the PG* environment.
 * - Inline comments are on: ";" preceded by white space ends the value
 *   ("key = abc ;x" gives "abc"; "key = abc;x" gives "abc;x").  A value
 *   therefore cannot contain " ;".  Lines starting with ";" or "#" are
 *   comments.
 * - "name: value" is accepted like "name = value"; the first '=' or ':'
 *   separates, so values may contain both.
 * - Multi-line values (an indented line continues the previous value)
 *   would silently add a second key.  config_reader() strips leading
 *   white space from every line, which turns that feature off.
 * - inih reports only the first syntax error.  config_reader() checks
 *   each line's shape itself so that every mistake of the file is
 *   reported with its line number, and it tracks sections itself (inih
 *   calls the handler for keys only, so an empty [vendor] section would
 *   otherwise go unseen).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "writer.h"

#define CONFIG_FILE_MAX		(1024 * 1024)	/* bytes in the whole file */
#define CONFIG_MAX_BODY_MAX	(64 * 1024 * 1024)
#define CONFIG_THREADS_DEFAULT	8
#define CONFIG_THREADS_MAX	64
#define CONFIG_BATCH_MAX_DEFAULT	96	/* requests in flight, events a commit */
#define CONFIG_SECONDS_MAX	86400
#define CONFIG_READ_TIMEOUT_DEFAULT	10	/* seconds for a request body */
#define CONFIG_DB_TIMEOUT_DEFAULT	5	/* seconds for each database wait */
#define CONFIG_TIMEOUT_MAX		300
/* Room the reader needs beyond the line in inih's buffer ("\r\n\0"). */
#define CONFIG_LINE_SLACK	3

static const char *const config_vendor_names[] = {
	"jdcloud", "aliyun", "huawei", "tencent",
	"srs", "nginx-rtmp",
	"ivs", "mux",
};

enum config_sect {
	CONFIG_SECT_NONE,	/* before any section */
	CONFIG_SECT_BAD,	/* a section already reported as wrong */
	CONFIG_SECT_DATABASE,
	CONFIG_SECT_SERVER,
	CONFIG_SECT_VENDOR,
};

/* Settings of [database] and [server] seen so far (set twice is a mistake). */
enum {
	CONFIG_SEEN_CONNINFO	= 1 << 0,
	CONFIG_SEEN_MAX_BODY	= 1 << 1,
	CONFIG_SEEN_SPOOL_DIR	= 1 << 2,
	CONFIG_SEEN_THREADS	= 1 << 3,
	CONFIG_SEEN_GROUP	= 1 << 4,
	CONFIG_SEEN_BATCH	= 1 << 5,
	CONFIG_SEEN_READ_TIMEOUT = 1 << 6,
	CONFIG_SEEN_DB_TIMEOUT	= 1 << 7,
	CONFIG_SEEN_METRICS	= 1 << 8,
	CONFIG_SEEN_METRICS_SHM	= 1 << 9,
};

struct config_ctx {
	struct config		*cfg;
	const char		*path;
	const char		*data;		/* the whole file */
	size_t			 len;
	size_t			 off;
	int			 lineno;	/* of the line inih is parsing */
	int			 errors;
	int			 limit;		/* longest line accepted */
	enum config_sect	 sect;
	struct config_vendor	*cur;
	char			 secname[128];	/* escaped, for messages */
	int			 seclines[CONFIG_VENDORS_MAX];
	unsigned		 seen;
};

/* Log "path:line: [section] key: what"; key may be NULL. */
static void __attribute__((format(printf, 3, 4)))
config_err(struct config_ctx *ctx, const char *key, const char *fmt, ...)
{
	char		 what[256], ekey[64];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (key != NULL) {
		log_escape(ekey, sizeof(ekey), key, strlen(key));
		log_warnx("%s:%d: [%s] %s: %s", ctx->path, ctx->lineno,
		    ctx->secname, ekey, what);
	} else
		log_warnx("%s:%d: [%s]: %s", ctx->path, ctx->lineno,
		    ctx->secname, what);
	ctx->errors++;
}

/* A whole number in [min, max], digits only. 0 or -1. */
static int
config_num(const char *s, long min, long max, long *out)
{
	long	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* yes/no; 1, 0 or -1. */
static int
config_bool(const char *s)
{
	if (strcasecmp(s, "yes") == 0)
		return 1;
	if (strcasecmp(s, "no") == 0)
		return 0;
	return -1;
}

/* Host names: letters, digits, '-', '.', '_' (no scheme, path or port). */
static int
config_hostname_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 253)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._", *s) == NULL)
			return 0;
	return 1;
}

/* An HTTP header name: letters, digits and '-' (what CGI can pass on). */
static int
config_header_ok(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
	return 1;
}

static int
config_vendor_known(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(config_vendor_names) /
	    sizeof(config_vendor_names[0]); i++)
		if (strlen(config_vendor_names[i]) == len &&
		    strncmp(config_vendor_names[i], name, len) == 0)
			return 1;
	return 0;
}

static struct config_vendor *
config_find(const struct config *cfg, const char *vendor, const char *domain)
{
	size_t			 i;
	const struct config_vendor *v;

	for (i = 0; i < cfg->nvendors; i++) {
		v = &cfg->vendors[i];
		if (strcmp(v->vendor, vendor) != 0)
			continue;
		if (domain == NULL && v->domain == NULL)
			return (struct config_vendor *)(uintptr_t)v;
		if (domain != NULL && v->domain != NULL &&
		    strcasecmp(v->domain, domain) == 0)
			return (struct config_vendor *)(uintptr_t)v;
	}
	return NULL;
}

/*
 * Enter the section named name (len bytes) found on the current line:
 * [database], [server], [vendor] or [vendor:domain].  A mistake is
 * reported and makes the keys of the section ignored.
 */
static void
config_section(struct config_ctx *ctx, const char *name, size_t len)
{
	struct config		*cfg = ctx->cfg;
	struct config_vendor	*v;
	const char		*colon;
	char			 vendor[16], domain[256];
	size_t			 vlen;

	log_escape(ctx->secname, sizeof(ctx->secname), name, len);
	ctx->cur = NULL;
	ctx->sect = CONFIG_SECT_BAD;
	if (len == 8 && memcmp(name, "database", 8) == 0) {
		ctx->sect = CONFIG_SECT_DATABASE;
		return;
	}
	if (len == 6 && memcmp(name, "server", 6) == 0) {
		ctx->sect = CONFIG_SECT_SERVER;
		return;
	}
	colon = memchr(name, ':', len);
	vlen = colon != NULL ? (size_t)(colon - name) : len;
	if (!config_vendor_known(name, vlen)) {
		config_err(ctx, NULL, "unknown section (expected database, "
		    "server, jdcloud, aliyun, huawei, tencent, srs, nginx-rtmp, "
		    "ivs or mux)");
		return;
	}
	memcpy(vendor, name, vlen);
	vendor[vlen] = '\0';
	if (colon != NULL) {
		if (len - vlen - 1 >= sizeof(domain)) {
			config_err(ctx, NULL, "domain name too long");
			return;
		}
		memcpy(domain, colon + 1, len - vlen - 1);
		domain[len - vlen - 1] = '\0';
		if (!config_hostname_ok(domain)) {
			config_err(ctx, NULL, "not a domain name after ':'");
			return;
		}
	}
	if ((v = config_find(cfg, vendor, colon ? domain : NULL)) == NULL) {
		if (cfg->nvendors == CONFIG_VENDORS_MAX) {
			config_err(ctx, NULL, "more than %d vendor sections",
			    CONFIG_VENDORS_MAX);
			return;
		}
		v = &cfg->vendors[cfg->nvendors];
		memset(v, 0, sizeof(*v));
		v->allow_unsigned = -1;
		v->tolerance = -1;
		v->max_ahead = -1;
		v->heartbeat_timeout = -1;
		if ((v->vendor = strdup(vendor)) == NULL ||
		    (colon != NULL && (v->domain = strdup(domain)) == NULL)) {
			free(v->vendor);
			v->vendor = NULL;
			config_err(ctx, NULL, "out of memory");
			return;
		}
		ctx->seclines[cfg->nvendors] = ctx->lineno;
		cfg->nvendors++;
	}
	ctx->cur = v;
	ctx->sect = CONFIG_SECT_VENDOR;
}

/* Store a repeatable secret (key or token); never logs the value. */
static void
config_add_secret(struct config_ctx *ctx, const char *name, const char *value,
    char **list, size_t *n)
{
	if (*value == '\0') {
		config_err(ctx, name, "empty value");
		return;
	}
	if (*n == CONFIG_KEYS_MAX) {
		config_err(ctx, name, "more than %d in one section",
		    CONFIG_KEYS_MAX);
		return;
	}
	if ((list[*n] = strdup(value)) == NULL) {
		config_err(ctx, name, "out of memory");
		return;
	}
	(*n)++;
}

static void
config_vendor_key(struct config_ctx *ctx, const char *name, const char *value)
{
	struct config_vendor	*v = ctx->cur;
	long			 n;
	int			 b;

	if (strcmp(name, "key") == 0) {
		config_add_secret(ctx, name, value, v->keys, &v->nkeys);
	} else if (strcmp(name, "token") == 0) {
		config_add_secret(ctx, name, value, v->tokens, &v->ntokens);
	} else if (strcmp(name, "allow_unsigned") == 0) {
		if (v->allow_unsigned != -1)
			config_err(ctx, name, "set twice");
		else if ((b = config_bool(value)) == -1)
			config_err(ctx, name, "not yes or no");
		else
			v->allow_unsigned = b;
	} else if (strcmp(name, "sign_type") == 0) {
		if (v->sign_type_set)
			config_err(ctx, name, "set twice");
		else if (strcasecmp(value, "md5") == 0) {
			v->sign_type = CONFIG_SIGN_MD5;
			v->sign_type_set = 1;
		} else if (strcasecmp(value, "hmac-sha256") == 0) {
			v->sign_type = CONFIG_SIGN_HMAC_SHA256;
			v->sign_type_set = 1;
		} else
			config_err(ctx, name, "not md5 or hmac-sha256");
	} else if (strcmp(name, "tolerance") == 0 ||
	    strcmp(name, "max_ahead") == 0) {
		long *dst = name[0] == 't' ? &v->tolerance : &v->max_ahead;

		if (*dst != -1)
			config_err(ctx, name, "set twice");
		else if (config_num(value, 0, CONFIG_SECONDS_MAX, &n) == -1)
			config_err(ctx, name, "not a number of seconds from "
			    "0 to %d", CONFIG_SECONDS_MAX);
		else
			*dst = n;
	} else if (strcmp(name, "callback_host") == 0) {
		if (v->callback_host != NULL)
			config_err(ctx, name, "set twice");
		else if (!config_hostname_ok(value))
			config_err(ctx, name, "not a host name (no scheme, "
			    "port or path)");
		else if ((v->callback_host = strdup(value)) == NULL)
			config_err(ctx, name, "out of memory");
	} else if (strcmp(name, "duration_unit") == 0) {
		if (v->duration_unit != CONFIG_UNIT_DEFAULT)
			config_err(ctx, name, "set twice");
		else if (strcmp(value, "ms") == 0)
			v->duration_unit = CONFIG_UNIT_MS;
		else if (strcmp(value, "s") == 0)
			v->duration_unit = CONFIG_UNIT_S;
		else
			config_err(ctx, name, "not ms or s");
	} else if (strcmp(name, "size_unit") == 0) {
		if (v->size_unit != CONFIG_UNIT_DEFAULT)
			config_err(ctx, name, "set twice");
		else if (strcmp(value, "bytes") == 0)
			v->size_unit = CONFIG_UNIT_BYTES;
		else if (strcmp(value, "kb") == 0)
			v->size_unit = CONFIG_UNIT_KB;
		else
			config_err(ctx, name, "not bytes or kb");
	} else if (strcmp(name, "publish_key") == 0 ||
	    strcmp(name, "domain") == 0 ||
	    strcmp(name, "heartbeat_timeout") == 0) {
		/* settings of the self-hosted servers only. */
		if (strcmp(v->vendor, "srs") != 0 &&
		    strcmp(v->vendor, "nginx-rtmp") != 0)
			config_err(ctx, name, "only for srs and nginx-rtmp");
		else if (name[0] == 'p')
			config_add_secret(ctx, name, value, v->publish_keys,
			    &v->npublish_keys);
		else if (name[0] == 'd') {
			if (v->store_domain != NULL)
				config_err(ctx, name, "set twice");
			else if (!config_hostname_ok(value))
				config_err(ctx, name, "not a domain name");
			else if ((v->store_domain = strdup(value)) == NULL)
				config_err(ctx, name, "out of memory");
		} else if (v->heartbeat_timeout != -1)
			config_err(ctx, name, "set twice");
		else if (config_num(value, 0, CONFIG_SECONDS_MAX, &n) == -1)
			config_err(ctx, name, "not a number of seconds from "
			    "0 to %d", CONFIG_SECONDS_MAX);
		else
			v->heartbeat_timeout = n;
	} else if (strcmp(name, "header") == 0) {
		/* IVS: an HTTP header name (RFC 9110 token characters). */
		if (strcmp(v->vendor, "ivs") != 0)
			config_err(ctx, name, "only for [ivs]");
		else if (v->header != NULL)
			config_err(ctx, name, "set twice");
		else if (!config_header_ok(value))
			config_err(ctx, name, "not an HTTP header name");
		else if ((v->header = strdup(value)) == NULL)
			config_err(ctx, name, "out of memory");
	} else
		config_err(ctx, name, "unknown key");
}

/* Mark a [database]/[server] setting seen; 0, or -1 if it was already. */
static int
config_once(struct config_ctx *ctx, const char *name, unsigned bit)
{
	if (ctx->seen & bit) {
		config_err(ctx, name, "set twice");
		return -1;
	}
	ctx->seen |= bit;
	return 0;
}

static void
config_server_key(struct config_ctx *ctx, const char *name, const char *value)
{
	struct config	*cfg = ctx->cfg;
	long		 n;
	int		 b;

	if (strcmp(name, "max_body") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_MAX_BODY) == -1)
			return;
		if (config_num(value, 1, CONFIG_MAX_BODY_MAX, &n) == -1)
			config_err(ctx, name, "not a number of bytes from 1 "
			    "to %d (64 MiB)", CONFIG_MAX_BODY_MAX);
		else
			cfg->max_body = (size_t)n;
	} else if (strcmp(name, "spool_dir") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_SPOOL_DIR) == -1)
			return;
		if (*value == '\0')
			return;
		if (*value != '/')
			config_err(ctx, name, "not an absolute path");
		else if ((cfg->spool_dir = strdup(value)) == NULL)
			config_err(ctx, name, "out of memory");
	} else if (strcmp(name, "threads") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_THREADS) == -1)
			return;
		if (config_num(value, 1, CONFIG_THREADS_MAX, &n) == -1)
			config_err(ctx, name, "not a number from 1 to %d",
			    CONFIG_THREADS_MAX);
		else
			cfg->threads = (int)n;
	} else if (strcmp(name, "group_commit") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_GROUP) == -1)
			return;
		if ((b = config_bool(value)) == -1)
			config_err(ctx, name, "not yes or no");
		else
			cfg->group_commit = b;
	} else if (strcmp(name, "batch_max") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_BATCH) == -1)
			return;
		if (config_num(value, 1, WRITER_BATCH_MAX, &n) == -1)
			config_err(ctx, name, "not a number from 1 to %d",
			    WRITER_BATCH_MAX);
		else
			cfg->batch_max = (size_t)n;
	} else if (strcmp(name, "metrics") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_METRICS) == -1)
			return;
		if ((b = config_bool(value)) == -1)
			config_err(ctx, name, "not yes or no");
		else
			cfg->metrics = b;
	} else if (strcmp(name, "metrics_shm") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_METRICS_SHM) == -1)
			return;
		/* shm_open(3): one leading slash, no other, at most NAME_MAX. */
		if (value[0] != '/' || strchr(value + 1, '/') != NULL ||
		    strlen(value) < 2 || strlen(value) > 200)
			config_err(ctx, name, "not a name like /livehook-site "
			    "(one leading slash, no other)");
		else if ((cfg->metrics_shm = strdup(value)) == NULL)
			config_err(ctx, name, "out of memory");
	} else if (strcmp(name, "read_timeout") == 0) {
		if (config_once(ctx, name, CONFIG_SEEN_READ_TIMEOUT) == -1)
			return;
		if (config_num(value, 1, CONFIG_TIMEOUT_MAX, &n) == -1)
			config_err(ctx, name, "not a number of seconds from 1 to %d",
			    CONFIG_TIMEOUT_MAX);
		else
			cfg->read_timeout = (int)n;
	} else
		config_err(ctx, name, "unknown key");
}

/* inih's callback for each "name = value"; the section is tracked here. */
static int
config_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct config_ctx	*ctx = user;
	char			*dup;
	long			 n;

	switch (ctx->sect) {
	case CONFIG_SECT_NONE:
		config_err(ctx, name, "setting outside any section");
		break;
	case CONFIG_SECT_BAD:
		break;
	case CONFIG_SECT_DATABASE:
		if (strcmp(name, "timeout") == 0) {
			if (config_once(ctx, name, CONFIG_SEEN_DB_TIMEOUT) == -1)
				break;
			if (config_num(value, 1, CONFIG_TIMEOUT_MAX, &n) == -1)
				config_err(ctx, name, "not a number of seconds "
				    "from 1 to %d", CONFIG_TIMEOUT_MAX);
			else
				ctx->cfg->db_timeout = (int)n;
			break;
		}
		if (strcmp(name, "conninfo") != 0) {
			config_err(ctx, name, "unknown key");
			break;
		}
		if (config_once(ctx, name, CONFIG_SEEN_CONNINFO) == -1)
			break;
		if ((dup = strdup(value)) == NULL) {
			config_err(ctx, name, "out of memory");
			break;
		}
		free(ctx->cfg->conninfo);
		ctx->cfg->conninfo = dup;
		break;
	case CONFIG_SECT_SERVER:
		config_server_key(ctx, name, value);
		break;
	case CONFIG_SECT_VENDOR:
		config_vendor_key(ctx, name, value);
		break;
	}
	/* Every mistake is counted in ctx; inih's own count is not used. */
	return 1;
}

/*
 * Where inih's find_chars_or_comment() would stop in s: at one of chars
 * or at an inline comment (';' after white space); NULL at the end.
 */
static const char *
config_find_chars(const char *s, const char *chars)
{
	int	 was_space = 0;

	for (; *s != '\0'; s++) {
		if (strchr(chars, *s) != NULL)
			return s;
		if (was_space && *s == ';')
			return NULL;
		was_space = isspace((unsigned char)*s);
	}
	return NULL;
}

/*
 * Check one line (leading white space already gone) the way inih will
 * read it; enter sections.  Returns 0 to hand the line to inih, -1 to
 * hand it an empty line instead (the mistake is reported).
 */
static int
config_line(struct config_ctx *ctx, const char *s)
{
	const char	*end, *p;

	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		if ((end = config_find_chars(s + 1, "]")) == NULL) {
			ctx->sect = CONFIG_SECT_BAD;
			log_escape(ctx->secname, sizeof(ctx->secname), s + 1,
			    strlen(s + 1));
			config_err(ctx, NULL, "'[' without ']'");
			return -1;
		}
		for (p = end + 1; isspace((unsigned char)*p); p++)
			continue;
		if (*p != '\0' && !(*p == ';' && p > end + 1)) {
			ctx->sect = CONFIG_SECT_BAD;
			log_escape(ctx->secname, sizeof(ctx->secname), s + 1,
			    (size_t)(end - s - 1));
			config_err(ctx, NULL, "text after ']'");
			return -1;
		}
		config_section(ctx, s + 1, (size_t)(end - s - 1));
		return 0;
	}
	if (config_find_chars(s, "=:") == NULL) {
		config_err(ctx, NULL, "expected \"[section]\" or "
		    "\"key = value\"");
		return -1;
	}
	return 0;
}

/*
 * ini_reader for ini_parse_stream(): the next line of ctx->data into
 * str (num bytes).  Strips leading white space and the line end,
 * refuses over-long lines and NUL bytes, keeps ctx->lineno.
 */
static char *
config_reader(char *str, int num, void *stream)
{
	struct config_ctx	*ctx = stream;
	const char		*line, *nl;
	size_t			 len;
	int			 ok = 1;

	if (ctx->off >= ctx->len)
		return NULL;
	line = ctx->data + ctx->off;
	nl = memchr(line, '\n', ctx->len - ctx->off);
	len = nl != NULL ? (size_t)(nl - line) : ctx->len - ctx->off;
	ctx->off += len + (nl != NULL);
	ctx->lineno++;
	if (ctx->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	ctx->limit = num - CONFIG_LINE_SLACK;
	if (ctx->limit > CONFIG_LINE_MAX - 1)
		ctx->limit = CONFIG_LINE_MAX - 1;
	if (len > (size_t)ctx->limit) {
		config_err(ctx, NULL, "line longer than %d bytes (libinih's "
		    "limit; put a long conninfo into a service file)",
		    ctx->limit);
		ok = 0;
	} else if (memchr(line, '\0', len) != NULL) {
		config_err(ctx, NULL, "NUL byte in line");
		ok = 0;
	}
	while (ok && len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	str[0] = '\0';
	if (ok) {
		memcpy(str, line, len);
		str[len] = '\0';
		if (config_line(ctx, str) == -1)
			str[0] = '\0';
	}
	return str;
}

/* Read path whole into a NUL-terminated buffer; NULL on failure (logged). */
static char *
config_slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*data = NULL;
	size_t	 len;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return NULL;
	}
	if ((data = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		log_warn("%s", path);
		goto out;
	}
	len = fread(data, 1, CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		log_warn("%s: read", path);
		goto fail;
	}
	if (len > CONFIG_FILE_MAX) {
		log_warnx("%s: larger than %d bytes", path, CONFIG_FILE_MAX);
		goto fail;
	}
	data[len] = '\0';
	*lenp = len;
	goto out;
fail:
	free(data);
	data = NULL;
out:
	fclose(f);
	return data;
}

/* Whether the effective settings v authenticate somehow. */
static int
config_has_auth(const struct config_vendor *v)
{
	return v->nkeys > 0 || v->ntokens > 0 || v->allow_unsigned == 1;
}

/* Checks that need the whole file: domains need their vendor, and auth. */
static void
config_check(struct config_ctx *ctx)
{
	struct config		*cfg = ctx->cfg;
	struct config_vendor	 eff;
	const struct config_vendor *v;
	size_t			 i;

	for (i = 0; i < cfg->nvendors; i++) {
		v = &cfg->vendors[i];
		ctx->lineno = ctx->seclines[i];
		if (v->domain != NULL)
			snprintf(ctx->secname, sizeof(ctx->secname), "%s:%s",
			    v->vendor, v->domain);
		else
			snprintf(ctx->secname, sizeof(ctx->secname), "%s",
			    v->vendor);
		if (config_vendor_get(cfg, v->vendor, v->domain, &eff) == -1) {
			config_err(ctx, NULL, "no [%s] section for this domain",
			    v->vendor);
			continue;
		}
		if (!config_has_auth(&eff))
			config_err(ctx, NULL, "no key, token or "
			    "allow_unsigned = yes");
		if (strcmp(v->vendor, "ivs") == 0 && eff.nkeys > 0 &&
		    eff.header == NULL)
			config_err(ctx, NULL, "key = needs header = (the "
			    "header the API destination sends)");
	}
}

static struct config *
config_new(void)
{
	struct config	*cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->max_body = CONFIG_MAX_BODY_DEFAULT;
	cfg->threads = CONFIG_THREADS_DEFAULT;
	cfg->read_timeout = CONFIG_READ_TIMEOUT_DEFAULT;
	cfg->db_timeout = CONFIG_DB_TIMEOUT_DEFAULT;
	cfg->group_commit = 1;
	cfg->batch_max = CONFIG_BATCH_MAX_DEFAULT;
	if ((cfg->conninfo = strdup("")) == NULL) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

/*
 * Read path (NULL: the defaults, no vendor).  Every mistake is logged;
 * NULL when there was any.  The caller frees with config_free().
 */
struct config *
config_load(const char *path)
{
	struct config_ctx	 ctx;
	struct config		*cfg;
	char			*data = NULL;
	size_t			 len = 0;
	int			 rc;

	if ((cfg = config_new()) == NULL) {
		log_warn("config");
		return NULL;
	}
	if (path == NULL)
		return cfg;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	ctx.path = path;
	ctx.sect = CONFIG_SECT_NONE;
	if ((cfg->path = strdup(path)) == NULL) {
		log_warn("config");
		ctx.errors++;
		goto out;
	}
	if ((data = config_slurp(path, &len)) == NULL) {
		ctx.errors++;
		goto out;
	}
	ctx.data = data;
	ctx.len = len;
	rc = ini_parse_stream(config_reader, &ctx, config_handler, &ctx);
	if (rc < 0) {
		log_warnx("%s: libinih failed (%d)", path, rc);
		ctx.errors++;
	} else if (rc > 0 && ctx.errors == 0) {
		/* A line config_line() let through and inih refused. */
		log_warnx("%s:%d: syntax error", path, rc);
		ctx.errors++;
	}
	/* Even after mistakes, so that every one is reported at once. */
	config_check(&ctx);
out:
	free(data);
	if (ctx.errors > 0) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
config_vendor_clear(struct config_vendor *v)
{
	size_t	 i;

	free(v->vendor);
	free(v->domain);
	for (i = 0; i < v->nkeys; i++)
		free(v->keys[i]);
	for (i = 0; i < v->ntokens; i++)
		free(v->tokens[i]);
	for (i = 0; i < v->npublish_keys; i++)
		free(v->publish_keys[i]);
	free(v->store_domain);
	free(v->callback_host);
	free(v->header);
}

void
config_free(struct config *cfg)
{
	size_t	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->nvendors; i++)
		config_vendor_clear(&cfg->vendors[i]);
	free(cfg->path);
	free(cfg->conninfo);
	free(cfg->spool_dir);
	free(cfg->metrics_shm);
	free(cfg);
}

/*
 * The [vendor] section with the [vendor:domain] section (when there is
 * one) merged over it, defaults filled in: allow_unsigned 0/1, tolerance
 * and max_ahead in seconds, sign_type MD5 unless set (sign_type_set
 * tells).  out->domain is NULL when no domain section matched.
 */
int
config_vendor_get(const struct config *cfg, const char *vendor,
    const char *domain, struct config_vendor *out)
{
	const struct config_vendor *v, *d = NULL;

	if (cfg == NULL || vendor == NULL ||
	    (v = config_find(cfg, vendor, NULL)) == NULL)
		return -1;
	*out = *v;
	if (domain != NULL)
		d = config_find(cfg, vendor, domain);
	if (d != NULL) {
		out->domain = d->domain;
		if (d->nkeys > 0) {
			memcpy(out->keys, d->keys, sizeof(out->keys));
			out->nkeys = d->nkeys;
		}
		if (d->ntokens > 0) {
			memcpy(out->tokens, d->tokens, sizeof(out->tokens));
			out->ntokens = d->ntokens;
		}
		if (d->allow_unsigned != -1)
			out->allow_unsigned = d->allow_unsigned;
		if (d->sign_type_set) {
			out->sign_type = d->sign_type;
			out->sign_type_set = 1;
		}
		if (d->tolerance != -1)
			out->tolerance = d->tolerance;
		if (d->max_ahead != -1)
			out->max_ahead = d->max_ahead;
		if (d->callback_host != NULL)
			out->callback_host = d->callback_host;
		if (d->duration_unit != CONFIG_UNIT_DEFAULT)
			out->duration_unit = d->duration_unit;
		if (d->size_unit != CONFIG_UNIT_DEFAULT)
			out->size_unit = d->size_unit;
		if (d->npublish_keys > 0) {
			memcpy(out->publish_keys, d->publish_keys,
			    sizeof(out->publish_keys));
			out->npublish_keys = d->npublish_keys;
		}
		if (d->store_domain != NULL)
			out->store_domain = d->store_domain;
		if (d->heartbeat_timeout != -1)
			out->heartbeat_timeout = d->heartbeat_timeout;
		if (d->header != NULL)
			out->header = d->header;
	}
	if (out->heartbeat_timeout == -1)
		out->heartbeat_timeout = strcmp(vendor, "srs") == 0 ?
		    CONFIG_HEARTBEAT_SRS_DEFAULT : CONFIG_HEARTBEAT_NGINX_DEFAULT;
	if (out->allow_unsigned == -1)
		out->allow_unsigned = 0;
	if (!out->sign_type_set)
		out->sign_type = CONFIG_SIGN_MD5;
	if (out->tolerance == -1)
		out->tolerance = CONFIG_TOLERANCE_DEFAULT;
	if (out->max_ahead == -1)
		out->max_ahead = CONFIG_MAX_AHEAD_DEFAULT;
	return 0;
}
