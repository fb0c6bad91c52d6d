/*
 * Unit tests of the second class, SMS_PackageStatusDistPointsSummarizer
 * (issue 13), in the model and the importer: every State and its bucket,
 * the counts after random imports equal to a recount, snapshots per class,
 * rows of one class without the other, the events, the three export
 * shapes read alike, mixed and classless files refused.  Exact values.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "convert/dp_convert.h"
#include "import/dp_import.h"
#include "model/dp_store.h"
#include "util/dp_log.h"
#include "fixture.h"

static struct dp_store *st;

static void
setup(void)
{
	st = fixture_store_open("check_dist", 1000);
}

static void
teardown(void)
{
	fixture_store_close(st);
	st = NULL;
}

static char nal_buf[8][64];
static char pkg_buf[16][16];

static const char *
nal(int n)
{
	snprintf(nal_buf[n], sizeof(nal_buf[n]), "\\\\DP%02d.example\\", n);
	return nal_buf[n];
}

static const char *
pkg(int n)
{
	snprintf(pkg_buf[n], sizeof(pkg_buf[n]), "PS1%05d", n);
	return pkg_buf[n];
}

static void
dist_record(struct dp_record *r, int server, int package, int32_t state)
{
	memset(r, 0, sizeof(*r));
	r->cls = DP_CLASS_DIST;
	r->package_id = pkg(package);
	r->server_nal_path = nal(server);
	r->site_code = "PS1";
	r->state = state;
	r->source_version = (uint32_t)package;
	r->present = 1u << DP_P_PACKAGE_ID | 1u << DP_P_SERVER_NAL_PATH |
	    1u << DP_P_SITE_CODE | 1u << DP_P_STATE | 1u << DP_P_SOURCE_VERSION;
}

static void
dp_record(struct dp_record *r, int server, int package, int32_t status)
{
	memset(r, 0, sizeof(*r));
	r->package_id = pkg(package);
	r->server_nal_path = nal(server);
	r->site_code = "PS1";
	r->status = status;
	r->present = 1u << DP_P_PACKAGE_ID | 1u << DP_P_SERVER_NAL_PATH |
	    1u << DP_P_SITE_CODE | 1u << DP_P_STATUS;
}

/* Every count of dist rows, in server, package and meta, equals a
 * recount of table dist. */
#define BUCKETS(x) \
	"total(" x " = 0), total(" x " IN (1, 4, 7)), " \
	"total(" x " IN (2, 5)), total(" x " IN (3, 6)), " \
	"total(" x " NOT BETWEEN 0 AND 7)"
static void
assert_dist_counts(void)
{
	sqlite3 *db = raw_open();

	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM ("
	    "SELECT s.idx FROM server s LEFT JOIN dist d "
	    "ON d.server_idx = s.idx GROUP BY s.idx HAVING "
	    "(s.d_rows, s.d_installed, s.d_inprogress, s.d_retrying, "
	    "s.d_failed, s.d_other) IS NOT (count(d.server_idx), "
	    BUCKETS("d.state") "))"), 0);
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM ("
	    "SELECT p.idx FROM package p LEFT JOIN dist d "
	    "ON d.package_idx = p.idx GROUP BY p.idx HAVING "
	    "(p.d_rows, p.d_installed, p.d_inprogress, p.d_retrying, "
	    "p.d_failed, p.d_other) IS NOT (count(d.package_idx), "
	    BUCKETS("d.state") "))"), 0);
	ck_assert_int_eq(raw_int(db, "SELECT (SELECT d_rows, d_installed, "
	    "d_inprogress, d_retrying, d_failed, d_other FROM meta) IS "
	    "(SELECT count(*), " BUCKETS("state") " FROM dist)"), 1);
	/* Live: a row of either class. */
	ck_assert_int_eq(raw_int(db, "SELECT (SELECT servers FROM meta) IS "
	    "(SELECT count(*) FROM server WHERE rows > 0 OR d_rows > 0) AND "
	    "(SELECT packages FROM meta) IS (SELECT count(*) FROM package "
	    "WHERE rows > 0 OR d_rows > 0)"), 1);
	sqlite3_close(db);
}

START_TEST(test_every_state_and_bucket)
{
	/* -1 is no State; 9 and 1000 are values ConfigMgr may add. */
	static const struct {
		int32_t			state;
		enum dp_dist_bucket	bucket;
		const char		*label;
	} want[] = {
		{ 0, DP_DB_INSTALLED, "installed" },
		{ 1, DP_DB_IN_PROGRESS, "installPending" },
		{ 2, DP_DB_RETRYING, "installRetrying" },
		{ 3, DP_DB_FAILED, "installFailed" },
		{ 4, DP_DB_IN_PROGRESS, "removalPending" },
		{ 5, DP_DB_RETRYING, "removalRetrying" },
		{ 6, DP_DB_FAILED, "removalFailed" },
		{ 7, DP_DB_IN_PROGRESS, "contentUpdating" },
		{ 8, DP_DB_OTHER, "contentMonitoring" },
		{ 9, DP_DB_OTHER, NULL },
		{ 1000, DP_DB_OTHER, NULL },
	};
	const size_t n = sizeof(want) / sizeof(want[0]);
	uint32_t by[DP_DB_COUNT] = { 0 };
	struct dp_record r;
	struct dp_scalars sc;
	struct dp_server srv;
	struct dp_dist_row row;
	uint32_t sidx;

	ck_assert_str_eq(dp_dist_state_label(-1), "absent");
	ck_assert_ptr_null(dp_dist_state_name(-1));
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(dp_dist_bucket(want[i].state), want[i].bucket);
		if (want[i].label == NULL)
			ck_assert_ptr_null(dp_dist_state_name(want[i].state));
		else
			ck_assert_str_eq(dp_dist_state_name(want[i].state),
			    want[i].label);
		dist_record(&r, 1, (int)i + 1, want[i].state);
		ck_assert_int_eq(dp_store_import_record(st, &r), 0);
		by[want[i].bucket]++;
	}
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.dist_rows, n);
	ck_assert_uint_eq(sc.rows, 0);
	ck_assert_mem_eq(sc.by_dist, by, sizeof(by));
	/* The server and its packages exist without a dpTable row. */
	ck_assert_uint_eq(sc.servers, 1);
	ck_assert_uint_eq(sc.packages, n);
	ck_assert_int_eq(dp_store_server_find(st, nal(1), "PS1", &sidx), 1);
	ck_assert_int_eq(dp_store_server_get(st, sidx, &srv), 1);
	ck_assert_uint_eq(srv.rows, 0);
	ck_assert_uint_eq(srv.dist_rows, n);
	ck_assert_mem_eq(srv.by_dist, by, sizeof(by));
	/* Each row reads back with its State. */
	for (size_t i = 0; i < n; i++) {
		uint32_t pidx;

		ck_assert_int_eq(dp_store_package_find(st, pkg((int)i + 1),
		    &pidx), 1);
		ck_assert_int_eq(dp_store_dist_get(st, sidx, pidx, &row), 1);
		ck_assert_int_eq(row.state, want[i].state);
		ck_assert_uint_eq(row.source_version, i + 1);
		ck_assert_str_eq(row.package_id, pkg((int)i + 1));
		ck_assert_str_eq(row.server_nal_path, nal(1));
		ck_assert_str_eq(row.last_copied, "1990-01-01T00:00:00.000000");
		ck_assert_int_gt(row.state_since_ms, 0);
	}
	assert_dist_counts();
}
END_TEST

START_TEST(test_counts_recount)
{
	struct dp_record r;
	unsigned seed = 4242;

	/* Random imports of both classes, snapshots now of one class, now
	 * of the other, States across every bucket. */
	for (int round = 0; round < 30; round++) {
		bool snapshot = round % 4 == 3;

		ck_assert_int_eq(dp_store_import_begin(st, snapshot), 0);
		for (int s = 1; s <= 4; s++)
			for (int p = 1; p <= 6; p++) {
				seed = seed * 1103515245u + 12345u;
				if ((seed >> 16) % 3 == 0)
					continue;
				if (round % 2 == 0)
					dist_record(&r, s, p,
					    (int32_t)((seed >> 8) % 11) - 1);
				else
					dp_record(&r, s, p,
					    (int32_t)((seed >> 8) % 4));
				ck_assert_int_eq(dp_store_import_record(st, &r),
				    0);
			}
		ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
		assert_dist_counts();
	}
}
END_TEST

START_TEST(test_snapshot_per_class)
{
	struct dp_import_counts c;
	struct dp_record r;
	struct dp_scalars sc;

	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	for (int p = 1; p <= 3; p++) {
		dp_record(&r, 1, p, 0);
		ck_assert_int_eq(dp_store_import_record(st, &r), 0);
		dist_record(&r, 1, p, 3);
		ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	}
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.records, 3);
	ck_assert_uint_eq(c.inserted, 3);
	ck_assert_uint_eq(c.dist_records, 3);
	ck_assert_uint_eq(c.dist_inserted, 3);

	/* A snapshot of the summarizer alone leaves dpTable as it was. */
	ck_assert_int_eq(dp_store_import_begin(st, true), 0);
	dist_record(&r, 1, 2, 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.dist_removed, 2);
	ck_assert_uint_eq(c.dist_updated, 1);
	ck_assert_uint_eq(c.removed, 0);
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.rows, 3);
	ck_assert_uint_eq(sc.dist_rows, 1);
	ck_assert_uint_eq(sc.by_dist[DP_DB_INSTALLED], 1);

	/* ... and one of SMS_DistributionPoint alone leaves dpDistTable. */
	ck_assert_int_eq(dp_store_import_begin(st, true), 0);
	dp_record(&r, 1, 1, 1);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.removed, 2);
	ck_assert_uint_eq(c.dist_removed, 0);
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.rows, 1);
	ck_assert_uint_eq(sc.dist_rows, 1);
	/* Package 2 lives on by its dist row, package 3 is gone. */
	ck_assert_uint_eq(sc.packages, 2);
	assert_dist_counts();

	/* The same key twice in one class is refused; once per class is
	 * not a duplicate. */
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	dist_record(&r, 2, 1, 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	dp_record(&r, 2, 1, 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	dist_record(&r, 2, 1, 3);
	ck_assert_int_eq(dp_store_import_record(st, &r), -1);
	ck_assert_ptr_nonnull(strstr(dp_store_errmsg(st), "appears more than "
	    "once in this import of SMS_PackageStatusDistPointsSummarizer"));
	ck_assert_int_eq(dp_store_import_end(st, false, NULL), 0);
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.dist_rows, 1);
}
END_TEST

START_TEST(test_events)
{
	struct dp_record r;
	sqlite3 *db;

	/* First appearance: an event only for retrying and failed. */
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	for (int p = 1; p <= 9; p++) {
		dist_record(&r, 1, p, p - 1);
		ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	}
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
	db = raw_open();
	ck_assert_int_eq(raw_int(db, "SELECT group_concat(kind || ':' || "
	    "status || ':' || prev_status || ':' || package_id, ' ') = "
	    "'1:2:-1:PS100003 1:3:-1:PS100004 1:5:-1:PS100006 "
	    "1:6:-1:PS100007' FROM (SELECT * FROM status_event ORDER BY seq)"),
	    1);
	raw_exec(db, "DELETE FROM status_event");

	/* A change of State, an unchanged row, a removal.  The others keep
	 * their time: 2 on every row whose State stays. */
	raw_exec(db, "UPDATE dist SET state_since_ms = 1 WHERE "
	    "package_idx = 1");
	raw_exec(db, "UPDATE dist SET state_since_ms = 2 WHERE "
	    "package_idx > 1");
	ck_assert_int_eq(dp_store_import_begin(st, true), 0);
	for (int p = 1; p <= 8; p++) {
		dist_record(&r, 1, p, p == 1 ? 3 : p - 1);
		ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	}
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
	ck_assert_int_eq(raw_int(db, "SELECT group_concat(kind || ':' || "
	    "status || ':' || prev_status || ':' || package_id, ' ') = "
	    "'1:3:0:PS100001 1:-1:8:PS100009' FROM (SELECT * FROM "
	    "status_event ORDER BY seq)"), 1);
	/* The State's time moved with it, and only its. */
	ck_assert_int_gt(raw_int(db, "SELECT state_since_ms FROM dist WHERE "
	    "package_idx = 1"), 1);
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM dist WHERE "
	    "package_idx > 1 AND state_since_ms = 2"), 7);

	/* Any writer: plain SQL gets the same triggers. */
	raw_exec(db, "DELETE FROM status_event");
	raw_exec(db, "UPDATE dist SET state = 5 WHERE package_idx = 2");
	raw_exec(db, "INSERT INTO dist (server_idx, package_idx, state) "
	    "VALUES (1, 9, 6)");
	ck_assert_int_eq(raw_int(db, "SELECT group_concat(status || ':' || "
	    "prev_status, ' ') = '5:1 6:-1' FROM (SELECT * FROM status_event "
	    "ORDER BY seq)"), 1);
	ck_assert_int_gt(raw_int(db, "SELECT state_since_ms FROM dist WHERE "
	    "package_idx = 9"), 0);
	sqlite3_close(db);
	assert_dist_counts();
}
END_TEST

/* ---- the importer --------------------------------------------------------- */

struct coll {
	size_t		 n;
	struct dp_record r[32];
	char		 text[32][4][1100];	/* owned copies of strings */
};

static int
collect(const struct dp_record *rec, const char *file, unsigned long no,
    void *arg)
{
	struct coll *c = arg;
	struct dp_record *r;

	(void)file;
	(void)no;
	if (c->n >= 32)
		return -1;
	r = &c->r[c->n];
	*r = *rec;
	snprintf(c->text[c->n][0], 1100, "%s", rec->package_id);
	snprintf(c->text[c->n][1], 1100, "%s", rec->server_nal_path);
	snprintf(c->text[c->n][2], 1100, "%s", rec->site_code);
	snprintf(c->text[c->n][3], 1100, "%s",
	    DP_PRESENT(rec, DP_P_SOURCE_NAL_PATH) ? rec->source_nal_path : "");
	r->package_id = c->text[c->n][0];
	r->server_nal_path = c->text[c->n][1];
	r->site_code = c->text[c->n][2];
	r->source_nal_path = c->text[c->n][3];
	c->n++;
	return 0;
}

static char logbuf[8192];

static void
log_to_buf(int prio, const char *msg, void *arg)
{
	size_t n = strlen(logbuf);

	(void)prio;
	(void)arg;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static int
parse_file(const char *name, struct coll *c, unsigned long *w)
{
	char path[512];
	FILE *f;
	static char buf[1 << 20];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", DP_TEST_DATA, name);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	memset(c, 0, sizeof(*c));
	logbuf[0] = '\0';
	return dp_import_parse(name, buf, n, collect, c, w);
}

static int
parse_text(const char *text, struct coll *c)
{
	memset(c, 0, sizeof(*c));
	logbuf[0] = '\0';
	return dp_import_parse("t.json", text, strlen(text), collect, c, NULL);
}

START_TEST(test_three_shapes_alike)
{
	static const char *const files[] = {
		"sample-dist-ps7.json", "sample-dist-wps51-utf16.json",
		"sample-dist-wmi.csv"
	};
	static struct coll c[3];
	unsigned long w = 0;

	dp_log_set_sink(log_to_buf, NULL);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(parse_file(files[i], &c[i], &w) == 0, "%s: %s",
		    files[i], logbuf);
		ck_assert_uint_eq(c[i].n, 24);
	}
	ck_assert_uint_eq(w, 0);
	for (size_t k = 0; k < 24; k++) {
		const struct dp_record *a = &c[0].r[k];

		ck_assert_int_eq(a->cls, DP_CLASS_DIST);
		for (int i = 1; i < 3; i++) {
			const struct dp_record *b = &c[i].r[k];

			ck_assert_int_eq(b->cls, DP_CLASS_DIST);
			ck_assert_uint_eq(a->present, b->present);
			ck_assert_str_eq(a->package_id, b->package_id);
			ck_assert_str_eq(a->server_nal_path,
			    b->server_nal_path);
			ck_assert_str_eq(a->site_code, b->site_code);
			ck_assert_int_eq(a->state, b->state);
			ck_assert_uint_eq(a->source_version, b->source_version);
			ck_assert_uint_eq(a->secured_type_id,
			    b->secured_type_id);
			ck_assert_int_eq(a->package_type, b->package_type);
			ck_assert_str_eq(a->source_nal_path,
			    b->source_nal_path);
			ck_assert_str_eq(a->summary_date, b->summary_date);
			if (DP_PRESENT(a, DP_P_LAST_COPIED))
				ck_assert_str_eq(a->last_copied,
				    b->last_copied);
		}
	}
	/* Record 2 of the sample: DP01's boot image, installed. */
	ck_assert_str_eq(c[0].r[1].package_id, "PS100034");
	ck_assert_int_eq(c[0].r[1].state, 0);
	ck_assert_uint_eq(c[0].r[1].source_version, 3);
	ck_assert_uint_eq(c[0].r[1].secured_type_id, 19);
	ck_assert_str_eq(c[0].r[1].last_copied,
	    "2024-05-02T10:03:00.000000+00:00");
	ck_assert_str_eq(c[0].r[1].summary_date,
	    "2024-06-01T09:15:30.001000+00:00");
	/* DP02's boot image failed and was never copied: null, kept. */
	ck_assert_str_eq(c[0].r[7].package_id, "PS100034");
	ck_assert_int_eq(c[0].r[7].state, 3);
	ck_assert(!DP_PRESENT(&c[0].r[7], DP_P_LAST_COPIED));
	dp_log_set_sink(NULL, NULL);
}
END_TEST

#define KEYS "\"PackageID\":\"P1\",\"ServerNALPath\":\"N\",\"SiteCode\":\"S\""

START_TEST(test_refusals)
{
	struct coll c;
	unsigned long w = 0;

	dp_log_set_sink(log_to_buf, NULL);
	ck_assert_int_eq(parse_file("bad-dist-mixed.json", &c, NULL), -1);
	ck_assert_ptr_nonnull(strstr(logbuf, "bad-dist-mixed.json: record 2 "
	    "(PackageID PS100034): field State: a property of "
	    "SMS_PackageStatusDistPointsSummarizer in a record with Status, a "
	    "property of SMS_DistributionPoint: a record is of one class"));
	ck_assert_int_eq(parse_file("bad-dist-neither.json", &c, NULL), -1);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "bad-dist-neither.json: record 1 "
	    "(PackageID PS100012): no property tells its class"));

	/* One class per file. */
	ck_assert_int_eq(parse_text("[{" KEYS ",\"State\":0},{" KEYS
	    ",\"Status\":1}]", &c), -1);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "t.json: record 2 (PackageID P1): "
	    "field Status: a property of SMS_DistributionPoint, but record 1 "
	    "is of SMS_PackageStatusDistPointsSummarizer: one class per "
	    "file"));
	/* State is required; null or missing is named. */
	ck_assert_int_eq(parse_text("{" KEYS ",\"State\":null}", &c), -1);
	ck_assert_ptr_nonnull(strstr(logbuf, "t.json: record 1 (PackageID P1): "
	    "field State: null: every record of "
	    "SMS_PackageStatusDistPointsSummarizer needs it"));
	ck_assert_int_eq(parse_text("{" KEYS ",\"SourceVersion\":1}", &c), -1);
	ck_assert_ptr_nonnull(strstr(logbuf, "field State: missing: every "
	    "record of SMS_PackageStatusDistPointsSummarizer needs it"));
	/* Ranges and sizes as for the first class. */
	ck_assert_int_eq(parse_text("{" KEYS ",\"State\":0,\"SourceVersion\":"
	    "4294967296}", &c), -1);
	ck_assert_ptr_nonnull(strstr(logbuf, "field SourceVersion: 4294967296 "
	    "is outside UInt32"));
	ck_assert_int_eq(parse_text("{" KEYS ",\"State\":2147483648}", &c),
	    -1);
	ck_assert_ptr_nonnull(strstr(logbuf, "field State: 2147483648 is "
	    "outside Integer32"));
	ck_assert_int_eq(parse_text("{" KEYS ",\"State\":0,\"LastCopied\":"
	    "\"5/1/2024 10:00:00 AM\"}", &c), -1);
	ck_assert_ptr_nonnull(strstr(logbuf, "field LastCopied: \"5/1/2024 "
	    "10:00:00 AM\""));
	/* A State ConfigMgr may add: stored, warned once. */
	memset(&c, 0, sizeof(c));
	logbuf[0] = '\0';
	ck_assert_int_eq(dp_import_parse("t.json", "[{" KEYS ",\"State\":9},{"
	    "\"PackageID\":\"P2\",\"ServerNALPath\":\"N\",\"SiteCode\":\"S\","
	    "\"State\":9}]", strlen("[{" KEYS ",\"State\":9},{"
	    "\"PackageID\":\"P2\",\"ServerNALPath\":\"N\",\"SiteCode\":\"S\","
	    "\"State\":9}]"), collect, &c, &w), 0);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(w, 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "field State: 9 is not a value "
	    "this MIB enumerates; stored as it is"));
	dp_log_set_sink(NULL, NULL);
}
END_TEST

static Suite *
dist_suite(void)
{
	Suite *s = suite_create("dist");
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_every_state_and_bucket);
	tcase_add_test(tc, test_counts_recount);
	tcase_add_test(tc, test_snapshot_per_class);
	tcase_add_test(tc, test_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("import");
	tcase_add_test(tc, test_three_shapes_alike);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(dist_suite());
}
