/* config.h -- the configuration file, livehook.conf(5) (the only libinih user). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_KEYS_MAX		8	/* keys or tokens per section */
#define CONFIG_VENDORS_MAX	64	/* [vendor] and [vendor:domain] sections */
#define CONFIG_LINE_MAX		1024	/* inih's INI_MAX_LINE on Debian 12 is 200; see config.c */
#define CONFIG_MAX_BODY_DEFAULT	65536
#define CONFIG_TOLERANCE_DEFAULT 300
#define CONFIG_MAX_AHEAD_DEFAULT 900
#define CONFIG_HEARTBEAT_SRS_DEFAULT	60	/* on_hls every hls_fragment (10 s) */
#define CONFIG_HEARTBEAT_NGINX_DEFAULT	90	/* 3 x notify_update_timeout (30 s) */

enum config_sign_type {
	CONFIG_SIGN_MD5,
	CONFIG_SIGN_HMAC_SHA256,
};

/* Units a vendor documents one way and samples another (JD Cloud). */
enum config_unit {
	CONFIG_UNIT_DEFAULT,	/* the vendor's documented unit */
	CONFIG_UNIT_MS,
	CONFIG_UNIT_S,
	CONFIG_UNIT_BYTES,
	CONFIG_UNIT_KB,
};

/*
 * One [vendor] or [vendor:domain] section.  A domain section inherits
 * every setting of its vendor section that it does not set itself.
 */
struct config_vendor {
	char			*vendor;
	char			*domain;	/* NULL for the vendor section */
	char			*keys[CONFIG_KEYS_MAX];
	size_t			 nkeys;
	char			*tokens[CONFIG_KEYS_MAX];
	size_t			 ntokens;
	int			 allow_unsigned;	/* -1: not set here */
	enum config_sign_type	 sign_type;
	int			 sign_type_set;
	long			 tolerance;		/* -1: not set here */
	long			 max_ahead;		/* -1: not set here */
	char			*callback_host;
	enum config_unit	 duration_unit;
	enum config_unit	 size_unit;
	/* srs and nginx-rtmp */
	char			*publish_keys[CONFIG_KEYS_MAX];
	size_t			 npublish_keys;
	char			*store_domain;	/* "domain =": the domain to store */
	long			 heartbeat_timeout;	/* seconds; -1: not set here */
	char			*header;	/* [ivs]: the header holding the key */
};

struct config {
	char			*path;
	char			*conninfo;	/* "" means PG* environment */
	int			 db_timeout;	/* seconds for each database wait */
	size_t			 max_body;
	char			*spool_dir;	/* NULL: none */
	int			 threads;	/* request threads per process */
	int			 group_commit;	/* 0: one commit per request */
	size_t			 batch_max;	/* events per transaction */
	int			 read_timeout;	/* seconds for a request body */
	int			 metrics;	/* serve /metrics */
	char			*metrics_shm;	/* shared counters; NULL: derived from path */
	struct config_vendor	 vendors[CONFIG_VENDORS_MAX];
	size_t			 nvendors;
};

/*
 * Read path.  Every mistake is logged as "path:line: [section] key: what";
 * returns NULL when there was any.  A NULL path gives the defaults with no
 * vendor enabled.
 */
struct config			*config_load(const char *path);
void				 config_free(struct config *);

/*
 * The effective settings for vendor and domain (domain may be NULL): the
 * domain section merged over the vendor section, in out.  Returns 0, or
 * -1 when the vendor has no section (it is not enabled).  The strings in
 * out are borrowed from the configuration.
 */
int	config_vendor_get(const struct config *, const char *vendor,
	    const char *domain, struct config_vendor *out);

#endif
