/* log.c -- one line per event on stderr, err(3) style. */
#include "autoconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static const char *log_progname = "livehook";

void
log_init(const char *progname)
{
	const char	*p;

	if (progname == NULL)
		return;
	p = strrchr(progname, '/');
	log_progname = p != NULL ? p + 1 : progname;
}

/*
 * Format one line and write it with a single fputs so that lines from
 * concurrent threads do not interleave.
 */
static void
log_vline(const char *fmt, va_list ap, const char *suffix)
{
	char	 line[LOG_LINE_MAX];
	int	 n;
	size_t	 len;

	n = snprintf(line, sizeof(line), "%s: ", log_progname);
	if (n < 0)
		return;
	len = (size_t)n;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n < 0)
		return;
	len += (size_t)n;
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	if (suffix != NULL) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", suffix);
		if (n > 0)
			len += (size_t)n;
		if (len >= sizeof(line) - 1)
			len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	line[len] = '\0';
	fputs(line, stderr);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 err[128];
	int	 saved = errno;

	/* GNU strerror_r returns a pointer that may differ from err. */
	const char *msg = strerror_r(saved, err, sizeof(err));
	va_start(ap, fmt);
	log_vline(fmt, ap, msg);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vline(fmt, ap, NULL);
	va_end(ap);
}

char *
log_escape(char *dst, size_t dstsz, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, o = 0;
	unsigned char	 c;

	if (dstsz == 0)
		return dst;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		/* Room for the widest escape plus "..." and the NUL. */
		if (o + 4 + 3 + 1 > dstsz) {
			if (o + 3 + 1 <= dstsz) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			dst[o++] = (char)c;
		else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	dst[o] = '\0';
	return dst;
}
