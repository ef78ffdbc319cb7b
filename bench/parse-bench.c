/* parse-bench.c: msg_parse() throughput on a directory of .eml files.
 *
 * usage: parse-bench [-n ITERATIONS] DIR...
 *
 * Loads every *.eml under the DIRs (recursively) into memory once, parses
 * them all once untimed (warm-up: iconv tables, GnuTLS), then ITERATIONS
 * times (default 20) with msg_parse(raw, len, NULL) + msg_free, and prints
 * messages/s and MB/s (10^6 bytes) of raw mail. The last line is for
 * bench/parse-bench.sh:
 *   RESULT side=postdesk messages=N bytes=N iterations=N seconds=S
 *          msgs_per_s=R mb_per_s=R attachments=N text_bytes=N
 * (attachments and text_bytes of one pass: a check that work was done).
 * Built by bench/parse-bench.sh; not part of "make check". */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "postdesk/msg.h"
#include "postdesk/xalloc.h"

#define FILE_MAX ((size_t)64 << 20)	/* a bigger .eml is skipped */

struct mail {
	char *path;	/* owned */
	char *raw;	/* owned */
	size_t len;
};

static struct mail *mails;
static size_t nmails;

static int
load_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t plen = strlen(path);
	FILE *f;
	char *buf;
	size_t n;

	(void)ftw;
	if (type != FTW_F || plen < 4 || strcmp(path + plen - 4, ".eml") != 0)
		return 0;
	if ((size_t)st->st_size > FILE_MAX) {
		fprintf(stderr, "parse-bench: %s: larger than %zu bytes, skipped\n", path, FILE_MAX);
		return 0;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "parse-bench: %s: %s\n", path, strerror(errno));
		return 0;
	}
	buf = xmalloc((size_t)st->st_size + 1);
	n = fread(buf, 1, (size_t)st->st_size, f);
	fclose(f);
	buf[n] = '\0';
	mails = xreallocarray(mails, nmails + 1, sizeof(*mails));
	mails[nmails].path = xstrdup(path);
	mails[nmails].raw = buf;
	mails[nmails].len = n;
	nmails++;
	return 0;
}

static int
by_path(const void *a, const void *b)
{
	return strcmp(((const struct mail *)a)->path, ((const struct mail *)b)->path);
}

/* One pass over every message; returns what was found, so that the work
 * cannot be skipped and the two sides can be compared roughly. */
static void
pass(size_t *atts_r, size_t *text_r)
{
	size_t atts = 0, text = 0;

	for (size_t i = 0; i < nmails; i++) {
		struct msg *m = msg_parse(mails[i].raw, mails[i].len, NULL);

		atts += m->nattachments;
		text += strlen(m->text);
		msg_free(&m);
	}
	*atts_r = atts;
	*text_r = text;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long iterations = 20;
	size_t bytes = 0, atts, text;
	double t0, secs;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c == 'n' && (iterations = strtol(optarg, NULL, 10)) > 0)
			continue;
		fprintf(stderr, "usage: parse-bench [-n ITERATIONS] DIR...\n");
		return 64;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: parse-bench [-n ITERATIONS] DIR...\n");
		return 64;
	}
	for (int i = optind; i < argc; i++) {
		if (nftw(argv[i], load_one, 16, FTW_PHYS) != 0) {
			fprintf(stderr, "parse-bench: %s: %s\n", argv[i], strerror(errno));
			return 66;
		}
	}
	if (nmails == 0) {
		fprintf(stderr, "parse-bench: no .eml files found\n");
		return 66;
	}
	qsort(mails, nmails, sizeof(*mails), by_path);
	for (size_t i = 0; i < nmails; i++)
		bytes += mails[i].len;

	pass(&atts, &text);	/* warm-up, untimed */
	t0 = now();
	for (long k = 0; k < iterations; k++)
		pass(&atts, &text);
	secs = now() - t0;

	printf("parse-bench: postdesk msg_parse: %zu messages, %.2f MB, %ld iterations in %.3f s: "
	    "%.1f messages/s, %.2f MB/s\n", nmails, (double)bytes / 1e6, iterations, secs,
	    (double)nmails * (double)iterations / secs,
	    (double)bytes * (double)iterations / secs / 1e6);
	printf("RESULT side=postdesk messages=%zu bytes=%zu iterations=%ld seconds=%.3f "
	    "msgs_per_s=%.1f mb_per_s=%.2f attachments=%zu text_bytes=%zu\n",
	    nmails, bytes, iterations, secs, (double)nmails * (double)iterations / secs,
	    (double)bytes * (double)iterations / secs / 1e6, atts, text);
	for (size_t i = 0; i < nmails; i++) {
		free(mails[i].path);
		free(mails[i].raw);
	}
	free(mails);
	return 0;
}
