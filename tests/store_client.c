/* store_client.c -- drive store.c and writer.c against a real PostgreSQL (used by tests/storage.sh). */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "event.h"
#include "log.h"
#include "store.h"
#include "writer.h"

#define LINE_MAX_LEN	65536
#define LINES_MAX	4096

/* Each line of the file as the row (event_to_row's format) it describes. */
static struct buf	 lines[LINES_MAX];
static size_t		 nlines;
/* -J: each line as a JSON batch of one, through store_insert (ingest(jsonb)). */
static int		 json_mode;
/* -B (with -J): every line in one JSON batch, one store_insert call. */
static int		 one_batch;
static struct store	*store;
static struct writer	*writer;
static int		 repeat = 1;
static pthread_mutex_t	 mu = PTHREAD_MUTEX_INITIALIZER;
static long		 counts[4];

static void *
client_main(void *arg)
{
	enum store_result	 r;
	size_t			 i;
	int			 k;

	(void)arg;
	for (k = 0; k < repeat; k++)
		for (i = 0; i < nlines; i++) {
			if (json_mode) {
				if (store_insert(store, lines[i].data, lines[i].len, 1, &r) == -1)
					r = STORE_RETRY;
			} else
				r = writer_submit(writer, lines[i].data, lines[i].len);
			pthread_mutex_lock(&mu);
			counts[r]++;
			pthread_mutex_unlock(&mu);
		}
	return NULL;
}

/*
 * A JSON element (the members ingest(jsonb) reads) as a row, the way
 * livehook's handler makes one from an event: each column from its
 * member, NULL when absent or null.  A text column takes a number's
 * text, as jsonb_to_recordset does.  0, or -1 when the line is not an
 * object or a number column holds no number.
 */
static int
json_row(const char *line, struct buf *row)
{
	struct json_object	*o, *v;
	const char		*t;
	size_t			 i;
	double			 d;
	uint64_t		 u;
	int			 rc = 0;

	memset(row, 0, sizeof(*row));
	if ((o = json_tokener_parse(line)) == NULL)
		return -1;
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -1;
	}
	for (i = 0; i < EVENT_COLUMNS && rc == 0; i++) {
		if (!json_object_object_get_ex(o, event_columns[i].name, &v) ||
		    json_object_is_type(v, json_type_null)) {
			buf_add_be(row, UINT32_MAX, 4);
			continue;
		}
		switch (event_columns[i].type) {
		case EVENT_COL_TEXT:
			t = json_object_is_type(v, json_type_string) ?
			    json_object_get_string(v) :
			    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
			buf_add_be(row, strlen(t), 4);
			buf_adds(row, t);
			break;
		case EVENT_COL_FLOAT8:
			if (!json_object_is_type(v, json_type_int) &&
			    !json_object_is_type(v, json_type_double)) {
				rc = -1;
				break;
			}
			d = json_object_get_double(v);
			memcpy(&u, &d, sizeof(u));
			buf_add_be(row, 8, 4);
			buf_add_be(row, u, 8);
			break;
		case EVENT_COL_INT8:
		case EVENT_COL_INT4:
			if (!json_object_is_type(v, json_type_int)) {
				rc = -1;
				break;
			}
			if (event_columns[i].type == EVENT_COL_INT8) {
				buf_add_be(row, 8, 4);
				buf_add_be(row, (uint64_t)json_object_get_int64(v), 8);
			} else {
				buf_add_be(row, 4, 4);
				buf_add_be(row, (uint32_t)json_object_get_int(v), 4);
			}
			break;
		case EVENT_COL_JSONB:
			t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
			buf_add_be(row, strlen(t) + 1, 4);
			buf_addc(row, 1);
			buf_adds(row, t);
			break;
		}
	}
	json_object_put(o);
	return rc == 0 && !row->failed ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: store_client [-J] [-g 0|1] [-t threads] [-n repeat] "
	    "[-w waitfile] conninfo file.jsonl\n"
	    "  -J: each line through livehook.ingest(jsonb), one commit each "
	    "(databases older than schema 7)\n"
	    "  -B: with -J, every line in one batch (one call, one commit)\n"
	    "  each line of the file is one event element; every thread "
	    "submits every line; -w submits the first line, waits for "
	    "waitfile to exist, then submits the rest\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	pthread_t	 t[64];
	struct stat	 st;
	const char	*waitfile = NULL;
	char		 buf[LINE_MAX_LEN];
	FILE		*f;
	int		 ch, threads = 1, group = 1, i;

	log_init("store_client");
	while ((ch = getopt(argc, argv, "BJg:n:t:w:")) != -1)
		switch (ch) {
		case 'B': one_batch = 1; break;
		case 'J': json_mode = 1; break;
		case 'g': group = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'w': waitfile = optarg; break;
		default: usage();
		}
	if (argc - optind != 2 || threads < 1 || threads > 64 ||
	    (json_mode && waitfile != NULL) || (one_batch && !json_mode))
		usage();
	if ((f = fopen(argv[optind + 1], "r")) == NULL) {
		perror(argv[optind + 1]);
		return 1;
	}
	while (nlines < LINES_MAX && fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '\0' || buf[0] == '#')
			continue;
		if (json_mode) {
			memset(&lines[nlines], 0, sizeof(lines[nlines]));
			buf_printf(&lines[nlines], "[%s]", buf);
		} else if (json_row(buf, &lines[nlines]) == -1) {
			fprintf(stderr, "store_client: line %zu is not an event: %s\n",
			    nlines + 1, buf);
			return 1;
		}
		nlines++;
	}
	fclose(f);
	if ((store = store_new(argv[optind], 30)) == NULL ||
	    (writer = writer_new(store, NULL, 1, group, WRITER_BATCH_MAX, NULL, NULL)) == NULL)
		return 1;
	if (one_batch) {
		struct buf		 b = BUF_INIT;
		enum store_result	 res[LINES_MAX];
		size_t			 k;

		/* Each line is "[element]": join the elements. */
		buf_addc(&b, '[');
		for (k = 0; k < nlines; k++) {
			if (k > 0)
				buf_addc(&b, ',');
			buf_add(&b, lines[k].data + 1, lines[k].len - 2);
		}
		buf_addc(&b, ']');
		if (b.failed || store_insert(store, b.data, b.len, nlines, res) == -1)
			for (k = 0; k < nlines; k++)
				res[k] = STORE_RETRY;
		for (k = 0; k < nlines; k++)
			counts[res[k]]++;
		buf_free(&b);
	} else if (waitfile != NULL) {
		/* One event, then wait (the test restarts the server), then the rest. */
		counts[writer_submit(writer, lines[0].data, lines[0].len)]++;
		while (stat(waitfile, &st) == -1)
			usleep(50000);
		for (i = 1; (size_t)i < nlines; i++) {
			enum store_result r;
			int tries = 0;
			/* The first attempt after a restart may find the connection gone. */
			while ((r = writer_submit(writer, lines[i].data, lines[i].len)) ==
			    STORE_RETRY && tries++ < 50)
				usleep(100000);
			counts[r]++;
		}
	} else {
		for (i = 0; i < threads; i++)
			pthread_create(&t[i], NULL, client_main, NULL);
		for (i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
	}
	printf("ok %ld duplicate %ld retry %ld refused %ld\n", counts[STORE_OK],
	    counts[STORE_DUP], counts[STORE_RETRY], counts[STORE_ERR]);
	writer_free(writer);
	store_free(store);
	for (i = 0; (size_t)i < nlines; i++)
		buf_free(&lines[i]);
	return 0;
}
