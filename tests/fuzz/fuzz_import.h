/*
 * The driver fuzz_json and fuzz_csv share: one input is one export file,
 * taken through the whole import path (encoding detection, the reader,
 * every conversion and check, the store and its triggers) into a fresh
 * database with the real schema, and checked against properties that
 * must hold for any input:
 *
 *  - dp_import_files() succeeds exactly when dp_import_parse() (no
 *    database) does, and counts the records the parse delivered;
 *  - the same file imported again, as a snapshot, succeeds and changes
 *    nothing (no insert, update or removal);
 *  - a UTF-8 input re-encoded as UTF-16LE or UTF-16BE with a BOM gives
 *    the same outcome and exactly the same records;
 *  - every log line is valid UTF-8 without control characters (the logs
 *    are syslog and Net-SNMP's, UTF-8 and one line per message).
 *
 * Each execution starts from the empty database (a committed import is
 * undone by copying the empty one back), so that a crash reproduces from
 * its input alone.
 */
#ifndef FUZZ_IMPORT_H
#define FUZZ_IMPORT_H

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/dp_convert.h"
#include "import/dp_import.h"
#include "model/dp_store.h"
#include "model/dp_store_int.h"
#include "util/dp_log.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char	 fz_dir[256];
static char	 fz_db[300], fz_in[300];
static struct dp_store *fz_st;		/* the database every run imports to */
static sqlite3	*fz_template;		/* its empty state, in memory */
static bool	 fz_dirty;		/* fz_st differs from fz_template */

#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "property violated: %s: ", #cond);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

static void
fz_sink(int prio, const char *msg, void *arg)
{
	(void)prio;
	(void)arg;
	FZ_CHECK(dp_utf8_valid(msg, strlen(msg)), "log line not UTF-8: %s",
	    msg);
	for (const char *p = msg; *p != '\0'; p++)
		FZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control "
		    "character 0x%02x in a log line: %s", *p, msg);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "log %d: %s\n", prio, msg);
}

static void
fz_cleanup(void)
{
	char	 p[320];

	if (fz_st != NULL)
		dp_store_close(fz_st);
	if (fz_template != NULL)
		sqlite3_close(fz_template);
	unlink(fz_in);
	unlink(fz_db);
	snprintf(p, sizeof(p), "%s-wal", fz_db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fz_db);
	unlink(p);
	rmdir(fz_dir);
}

static int
fz_write(const char *path, const void *data, size_t len)
{
	int	 fd;
	ssize_t	 n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return -1;
	for (const char *p = data; len > 0; p += n, len -= (size_t)n) {
		if ((n = write(fd, p, len)) <= 0) {
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

/* Copies the database from src to dst (both open), or aborts. */
static void
fz_copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup	*b;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL ||
	    sqlite3_backup_step(b, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(b) != SQLITE_OK) {
		fprintf(stderr, "copying the template database: %s\n",
		    sqlite3_errmsg(dst));
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*base;
	char		 err[512];

	(void)argc;
	(void)argv;
	/* Every message is formatted (DEBUG), then checked and dropped. */
	dp_log_set_sink(fz_sink, NULL);
	dp_log_set_level(DP_LOG_DEBUG);
	base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(fz_dir, sizeof(fz_dir), "%s/dpfuzz.XXXXXX", base);
	if (mkdtemp(fz_dir) == NULL) {
		perror(fz_dir);
		exit(1);
	}
	snprintf(fz_db, sizeof(fz_db), "%s/work.db", fz_dir);
	snprintf(fz_in, sizeof(fz_in), "%s/input", fz_dir);
	atexit(fz_cleanup);
	/*
	 * One connection for the whole run, as dpctl has for one import,
	 * put back to the empty schema after every import that committed
	 * (one that failed rolled back): opening a database per input
	 * would cost more than the import.
	 */
	if ((fz_st = dp_store_open(fz_db, DP_STORE_CREATE, 1000, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	if (sqlite3_open(":memory:", &fz_template) != SQLITE_OK) {
		fprintf(stderr, "sqlite3_open: out of memory\n");
		exit(1);
	}
	fz_copy_db(fz_template, dp_store_sqlite(fz_st));
	return 0;
}

/* ---- the records a parse delivers, as one digest ------------------------- */

struct fz_digest {
	uint64_t	 h;
	unsigned long	 n;
};

static void
fz_mix(struct fz_digest *d, const void *p, size_t len)
{
	const uint8_t	*b = p;

	for (size_t i = 0; i < len; i++)
		d->h = (d->h ^ b[i]) * UINT64_C(0x100000001b3);
	d->h = (d->h ^ 0xff) * UINT64_C(0x100000001b3);
}

static void
fz_mix_str(struct fz_digest *d, const char *s)
{
	fz_mix(d, s != NULL ? s : "(null)", s != NULL ? strlen(s) : 6);
}

static int
fz_collect(const struct dp_record *r, const char *file,
    unsigned long record_no, void *arg)
{
	struct fz_digest	*d = arg;
	uint8_t			 b[4];

	(void)file;
	d->n++;
	FZ_CHECK(record_no == d->n, "record %lu delivered as number %lu",
	    d->n, record_no);
	FZ_CHECK(r->package_id != NULL && r->server_nal_path != NULL &&
	    r->site_code != NULL, "record %lu without its key", record_no);
	fz_mix(d, &r->present, sizeof(r->present));
	b[0] = r->bits_enabled;
	b[1] = r->is_peer_dp;
	b[2] = r->is_protected;
	b[3] = r->refresh_now;
	fz_mix(d, b, sizeof(b));
	fz_mix(d, &r->isv_data_size, sizeof(r->isv_data_size));
	fz_mix(d, &r->object_type_id, sizeof(r->object_type_id));
	fz_mix(d, &r->package_type, sizeof(r->package_type));
	fz_mix(d, &r->status, sizeof(r->status));
	if (DP_PRESENT(r, DP_P_ISV_DATA)) {
		FZ_CHECK(r->isv_data_len <= DP_MAX_ISV_DATA, "ISVData %zu",
		    r->isv_data_len);
		fz_mix(d, r->isv_data, r->isv_data_len);
	}
	fz_mix_str(d, r->isv_string);
	fz_mix_str(d, r->package_id);
	fz_mix_str(d, r->resource_type);
	fz_mix_str(d, r->secure_object_id);
	fz_mix_str(d, r->server_nal_path);
	fz_mix_str(d, r->site_code);
	fz_mix_str(d, r->site_name);
	fz_mix_str(d, r->source_site);
	if (DP_PRESENT(r, DP_P_LAST_REFRESH_TIME))
		fz_mix_str(d, r->last_refresh_time);
	/* SMS_PackageStatusDistPointsSummarizer's own properties. */
	fz_mix(d, &r->cls, sizeof(r->cls));
	fz_mix(d, &r->state, sizeof(r->state));
	fz_mix(d, &r->source_version, sizeof(r->source_version));
	fz_mix(d, &r->secured_type_id, sizeof(r->secured_type_id));
	fz_mix_str(d, r->source_nal_path);
	if (DP_PRESENT(r, DP_P_LAST_COPIED))
		fz_mix_str(d, r->last_copied);
	if (DP_PRESENT(r, DP_P_SUMMARY_DATE))
		fz_mix_str(d, r->summary_date);
	return 0;
}

/* ---- UTF-16 ----------------------------------------------------------- */

/* data as UTF-16 (to) with its BOM in a new buffer, or NULL. */
static char *
fz_to_utf16(const uint8_t *data, size_t size, const char *to, size_t *outlen)
{
	iconv_t	 cd;
	char	*buf, *ip, *op;
	size_t	 il, ol, cap = size * 2 + 2;

	if ((cd = iconv_open(to, "UTF-8")) == (iconv_t)-1)
		return NULL;
	if ((buf = malloc(cap)) == NULL) {
		iconv_close(cd);
		return NULL;
	}
	if (strcmp(to, "UTF-16LE") == 0)
		memcpy(buf, "\xff\xfe", 2);
	else
		memcpy(buf, "\xfe\xff", 2);
	ip = (char *)(uintptr_t)data;
	il = size;
	op = buf + 2;
	ol = cap - 2;
	if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		free(buf);
		buf = NULL;
	} else
		*outlen = (size_t)(op - buf);
	iconv_close(cd);
	return buf;
}

/* ---- one input ------------------------------------------------------------ */

static int
fz_import(bool snapshot, struct dp_import_counts *c)
{
	const char	*files[1] = { fz_in };
	int		 rc;

	rc = dp_import_files(fz_st, files, 1, snapshot, c, NULL);
	if (rc == 0)
		fz_dirty = true;
	return rc;
}

static void
fz_run(const uint8_t *data, size_t size)
{
	struct dp_import_counts	 c1, c2;
	struct fz_digest	 d = { UINT64_C(0xcbf29ce484222325), 0 };
	unsigned long		 w = 0;
	int			 parsed, imported;

	parsed = dp_import_parse("fuzz", data, size, fz_collect, &d, &w);

	if (fz_dirty) {
		fz_copy_db(dp_store_sqlite(fz_st), fz_template);
		fz_dirty = false;
	}
	if (fz_write(fz_in, data, size) != 0) {
		perror(fz_dir);
		abort();
	}
	memset(&c1, 0, sizeof(c1));
	imported = fz_import(false, &c1);
	/* The store may refuse what the parser accepts (a repeated key),
	 * never the other way round. */
	FZ_CHECK(parsed == 0 || imported != 0, "parse failed, import did not");
	if (imported == 0) {
		FZ_CHECK(c1.records + c1.dist_records == d.n, "import "
		    "counted %llu+%llu records, the parse %lu",
		    (unsigned long long)c1.records,
		    (unsigned long long)c1.dist_records, d.n);
		FZ_CHECK(c1.records == 0 || c1.dist_records == 0,
		    "one file, records of both classes");
		FZ_CHECK(c1.inserted + c1.updated + c1.unchanged == c1.records,
		    "counts do not add up");
		FZ_CHECK(c1.dist_inserted + c1.dist_updated +
		    c1.dist_unchanged == c1.dist_records,
		    "summarizer counts do not add up");
		memset(&c2, 0, sizeof(c2));
		FZ_CHECK(fz_import(true, &c2) == 0, "a second import of the "
		    "same file failed");
		FZ_CHECK(c2.records == c1.records && c2.inserted == 0 &&
		    c2.updated == 0 && c2.removed == 0, "a second import "
		    "changed something: %llu inserted, %llu updated, %llu "
		    "removed", (unsigned long long)c2.inserted,
		    (unsigned long long)c2.updated,
		    (unsigned long long)c2.removed);
		FZ_CHECK(c2.dist_records == c1.dist_records &&
		    c2.dist_inserted == 0 && c2.dist_updated == 0 &&
		    c2.dist_removed == 0, "a second import changed "
		    "distributions: %llu inserted, %llu updated, %llu removed",
		    (unsigned long long)c2.dist_inserted,
		    (unsigned long long)c2.dist_updated,
		    (unsigned long long)c2.dist_removed);
	}

	/* The same text in UTF-16 must read the same.  Only for UTF-8
	 * without a BOM and not starting with NUL (which the importer
	 * takes for BOM-less UTF-16). */
	if (size >= 2 && data[0] != 0 && data[1] != 0 &&
	    (data[0] == 0xef || data[0] == 0xfe || data[0] == 0xff) == 0 &&
	    dp_utf8_valid(data, size)) {
		struct fz_digest	 d16 = { UINT64_C(0xcbf29ce484222325), 0 };
		const char		*to = (d.h & 1) ? "UTF-16BE" : "UTF-16LE";
		char			*u16;
		size_t			 len16 = 0;
		int			 parsed16;

		if ((u16 = fz_to_utf16(data, size, to, &len16)) != NULL) {
			parsed16 = dp_import_parse("fuzz16", u16, len16,
			    fz_collect, &d16, NULL);
			FZ_CHECK(parsed16 == parsed && d16.n == d.n &&
			    d16.h == d.h, "%s reads differently: rc %d/%d, "
			    "%lu/%lu records", to, parsed16, parsed, d16.n,
			    d.n);
			free(u16);
		}
	}
}

#endif
