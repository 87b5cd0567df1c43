/* store_client.c -- drive store.c and writer.c against a real PostgreSQL (used by tests/storage.sh). */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "writer.h"

#define LINE_MAX_LEN	65536
#define LINES_MAX	4096

static char		*lines[LINES_MAX];
static size_t		 nlines;
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
			r = writer_submit(writer, lines[i], strlen(lines[i]));
			pthread_mutex_lock(&mu);
			counts[r]++;
			pthread_mutex_unlock(&mu);
		}
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: store_client [-g 0|1] [-t threads] [-n repeat] "
	    "[-w waitfile] conninfo file.jsonl\n"
	    "  each line of the file is one event element; every thread "
	    "submits every line; -w submits the first line, waits for "
	    "waitfile to exist, then submits the rest\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	pthread_t	 t[64];
	struct store	*store;
	struct stat	 st;
	const char	*waitfile = NULL;
	char		 buf[LINE_MAX_LEN];
	FILE		*f;
	int		 ch, threads = 1, group = 1, i;

	log_init("store_client");
	while ((ch = getopt(argc, argv, "g:n:t:w:")) != -1)
		switch (ch) {
		case 'g': group = atoi(optarg); break;
		case 'n': repeat = atoi(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'w': waitfile = optarg; break;
		default: usage();
		}
	if (argc - optind != 2 || threads < 1 || threads > 64)
		usage();
	if ((f = fopen(argv[optind + 1], "r")) == NULL) {
		perror(argv[optind + 1]);
		return 1;
	}
	while (nlines < LINES_MAX && fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == '\0' || buf[0] == '#')
			continue;
		lines[nlines++] = strdup(buf);
	}
	fclose(f);
	if ((store = store_new(argv[optind], 30)) == NULL ||
	    (writer = writer_new(store, NULL, 1, group, WRITER_BATCH_MAX, NULL, NULL)) == NULL)
		return 1;
	if (waitfile != NULL) {
		/* One event, then wait (the test restarts the server), then the rest. */
		counts[writer_submit(writer, lines[0], strlen(lines[0]))]++;
		while (stat(waitfile, &st) == -1)
			usleep(50000);
		for (i = 1; (size_t)i < nlines; i++) {
			enum store_result r;
			int tries = 0;
			/* The first attempt after a restart may find the connection gone. */
			while ((r = writer_submit(writer, lines[i], strlen(lines[i]))) ==
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
		free(lines[i]);
	return 0;
}
