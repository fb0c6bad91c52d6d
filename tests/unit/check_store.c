/*
 * Unit tests of the SQLite model: order, surrogates, triggers, counts,
 * import semantics, backup and housekeeping.  Exact values throughout.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "model/dp_store.h"
#include "fixture.h"

static struct dp_store *st;

static void
setup(void)
{
	st = fixture_store_open("check_store", 1000);
}

static void
teardown(void)
{
	fixture_store_close(st);
	st = NULL;
}

static char nal_buf[8][128];

/* NAL path of test server n, as ConfigMgr writes it. */
static const char *
nal(int n)
{
	snprintf(nal_buf[n], sizeof(nal_buf[n]),
	    "[\"Display=\\\\DP%02d.corp.example\\\"]MSWNET:[\"SMS_SITE=PS1\"]"
	    "\\\\DP%02d.corp.example\\", n, n);
	return nal_buf[n];
}

static char pkg_buf[16][16];

static const char *
pkg(int n)
{
	snprintf(pkg_buf[n], sizeof(pkg_buf[n]), "PS1%05d", n);
	return pkg_buf[n];
}

static void
record(struct dp_record *r, int server, int package, int32_t status)
{
	memset(r, 0, sizeof(*r));
	r->package_id = pkg(package);
	r->server_nal_path = nal(server);
	r->site_code = "PS1";
	r->status = status;
	r->package_type = 0;
	r->object_type_id = 2;
	r->source_site = "PS1";
	r->site_name = "Primary Site 1";
	r->present = 1u << DP_P_PACKAGE_ID | 1u << DP_P_SERVER_NAL_PATH |
	    1u << DP_P_SITE_CODE | 1u << DP_P_STATUS | 1u << DP_P_PACKAGE_TYPE |
	    1u << DP_P_OBJECT_TYPE_ID | 1u << DP_P_SOURCE_SITE |
	    1u << DP_P_SITE_NAME;
}

/* Imports servers x packages rows; status of row (s, p) is (s + p) % 4. */
static void
import_grid(int servers, int packages, bool snapshot,
    struct dp_import_counts *c)
{
	struct dp_record r;

	ck_assert_int_eq(dp_store_import_begin(st, snapshot), 0);
	for (int s = 1; s <= servers; s++)
		for (int p = 1; p <= packages; p++) {
			record(&r, s, p, (s + p) % 4);
			ck_assert_msg(dp_store_import_record(st, &r) == 0,
			    "%s", dp_store_errmsg(st));
		}
	ck_assert_msg(dp_store_import_end(st, true, c) == 0, "%s",
	    dp_store_errmsg(st));
}

START_TEST(test_schema_version)
{
	char err[256];
	sqlite3 *db;
	struct dp_store *other;

	ck_assert_int_eq(dp_store_schema_version(st), DP_SCHEMA_VERSION);
	db = raw_open();
	raw_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);
	other = dp_store_open(fixture_db_path, 0, 100, err, sizeof(err));
	ck_assert_ptr_null(other);
	ck_assert_msg(strstr(err, "schema version 99 is newer") != NULL, "%s",
	    err);
}
END_TEST

START_TEST(test_not_a_database)
{
	char err[256], path[96];
	struct dp_store *other;
	FILE *f;

	snprintf(path, sizeof(path), "%s/empty.db", fixture_dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	other = dp_store_open(path, 0, 100, err, sizeof(err));
	ck_assert_ptr_null(other);
	ck_assert_msg(strstr(err, "not a dpagent database") != NULL, "%s",
	    err);
}
END_TEST

/* The open-time refusals name the file and the problem exactly (see
 * doc/faults.md); SQLite's own "unable to open database file" and "disk
 * I/O error" name neither. */
START_TEST(test_open_refusals)
{
	char err[512], want[512], path[96];
	struct dp_store *other;
	sqlite3 *db;
	FILE *f;

	snprintf(path, sizeof(path), "%s/missing.db", fixture_dir);
	ck_assert_ptr_null(dp_store_open(path, 0, 100, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: unable to open database file: No "
	    "such file or directory (create it with 'dpctl --db %s init')",
	    path, path);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(access(path, F_OK), -1);	/* not created */

	snprintf(path, sizeof(path), "%s/dir.db", fixture_dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_ptr_null(dp_store_open(path, DP_STORE_CREATE, 100, err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "%s: unable to open database file: it is "
	    "a directory", path);
	ck_assert_str_eq(err, want);

	snprintf(path, sizeof(path), "%s/header.db", fixture_dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("SQLite format 2, not 3; and then nothing that SQLite reads "
	    "as a database header at all....................................."
	    "..................................................", f);
	fclose(f);
	ck_assert_ptr_null(dp_store_open(path, 0, 100, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a dpagent database, or its "
	    "header is damaged (file is not a database): check the path, or "
	    "restore the database from a backup", path);
	ck_assert_str_eq(err, want);

	db = raw_open();
	raw_exec(db, "PRAGMA user_version = 99");
	sqlite3_close(db);
	other = dp_store_open(fixture_db_path, DP_STORE_CREATE, 100, err,
	    sizeof(err));
	ck_assert_ptr_null(other);
	snprintf(want, sizeof(want), "%s: database schema version 99 is "
	    "newer than this dpagent's (%d): upgrade dpagent",
	    fixture_db_path, DP_SCHEMA_VERSION);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A write past the busy timeout says who held the database. */
START_TEST(test_busy_message)
{
	sqlite3 *db = raw_open();

	raw_exec(db, "BEGIN IMMEDIATE");
	ck_assert_int_eq(dp_store_write_begin(st), DP_STORE_BUSY);
	ck_assert_str_eq(dp_store_errmsg(st), "starting a write: database is "
	    "locked (another process held the write lock for longer than "
	    "1000 ms)");
	raw_exec(db, "ROLLBACK");
	sqlite3_close(db);
	ck_assert_int_eq(dp_store_write_begin(st), 0);
	ck_assert_int_eq(dp_store_write_end(st, false), 0);
}
END_TEST

START_TEST(test_next_order)
{
	static const uint32_t want[][2] = {
		{ 1, 1 }, { 1, 2 }, { 1, 3 }, { 2, 1 }, { 2, 2 }, { 2, 3 },
		{ 3, 1 }, { 3, 2 }, { 3, 3 }
	};
	struct dp_row r;
	int64_t s = 0, p = 0;
	size_t n = 0;

	import_grid(3, 3, false, NULL);
	while (dp_store_row_next(st, s, p, &r) == 1) {
		ck_assert_uint_lt(n, 9);
		ck_assert_uint_eq(r.server_idx, want[n][0]);
		ck_assert_uint_eq(r.package_idx, want[n][1]);
		s = r.server_idx;
		p = r.package_idx;
		n++;
	}
	ck_assert_uint_eq(n, 9);

	/* Across a server boundary, from partial and out-of-range indexes. */
	ck_assert_int_eq(dp_store_row_next(st, 1, 3, &r), 1);
	ck_assert_uint_eq(r.server_idx, 2);
	ck_assert_uint_eq(r.package_idx, 1);
	ck_assert_int_eq(dp_store_row_next(st, 1, 4294967295LL, &r), 1);
	ck_assert_uint_eq(r.server_idx, 2);
	ck_assert_uint_eq(r.package_idx, 1);
	ck_assert_int_eq(dp_store_row_next(st, 2, 0, &r), 1);
	ck_assert_uint_eq(r.server_idx, 2);
	ck_assert_uint_eq(r.package_idx, 1);
	ck_assert_int_eq(dp_store_row_next(st, 0, 4294967296LL, &r), 1);
	ck_assert_uint_eq(r.server_idx, 1);
	ck_assert_uint_eq(r.package_idx, 1);
	ck_assert_int_eq(dp_store_row_next(st, 3, 3, &r), 0);
	ck_assert_int_eq(dp_store_row_next(st, 4294967295LL, 4294967295LL,
	    &r), 0);
	ck_assert_int_eq(dp_store_row_next(st, 4294967296LL, 0, &r), 0);

	/* Exact gets, and misses. */
	ck_assert_int_eq(dp_store_row_get(st, 2, 3, &r), 1);
	ck_assert_str_eq(r.package_id, "PS100003");
	ck_assert_str_eq(r.server_nal_path, nal(2));
	ck_assert_str_eq(r.site_code, "PS1");
	ck_assert_int_eq(r.status, (2 + 3) % 4);
	ck_assert_int_eq(r.object_type_id, 2);
	ck_assert_str_eq(r.last_refresh_time, "1990-01-01T00:00:00.000000");
	ck_assert_int_eq(dp_store_row_get(st, 2, 4, &r), 0);
	ck_assert_int_eq(dp_store_row_get(st, 0, 0, &r), 0);
}
END_TEST

START_TEST(test_servers_packages)
{
	struct dp_server s;
	struct dp_package p;

	import_grid(2, 3, false, NULL);
	ck_assert_int_eq(dp_store_server_get(st, 2, &s), 1);
	ck_assert_str_eq(s.nal_path, nal(2));
	ck_assert_str_eq(s.name, "DP02.corp.example");
	ck_assert_str_eq(s.site_code, "PS1");
	ck_assert_uint_eq(s.rows, 3);
	/* statuses (2+1)%4=3, (2+2)%4=0, (2+3)%4=1 */
	ck_assert_uint_eq(s.by_status[DP_B_NONE], 1);
	ck_assert_uint_eq(s.by_status[DP_B_UPDATED], 1);
	ck_assert_uint_eq(s.by_status[DP_B_ADDED], 0);
	ck_assert_uint_eq(s.by_status[DP_B_DELETED], 1);
	ck_assert_uint_eq(s.by_status[DP_B_OTHER], 0);
	ck_assert_int_eq(dp_store_server_next(st, 0, &s), 1);
	ck_assert_uint_eq(s.idx, 1);
	ck_assert_int_eq(dp_store_server_next(st, 2, &s), 0);

	ck_assert_int_eq(dp_store_package_get(st, 3, &p), 1);
	ck_assert_str_eq(p.package_id, "PS100003");
	ck_assert_int_eq(p.object_type_id, 2);
	ck_assert_str_eq(p.source_site, "PS1");
	ck_assert_str_eq(p.site_name, "Primary Site 1");
	ck_assert_uint_eq(p.rows, 2);
	ck_assert_int_eq(dp_store_package_next(st, 3, &p), 0);
	ck_assert_int_eq(dp_store_package_next(st, 1, &p), 1);
	ck_assert_uint_eq(p.idx, 2);
}
END_TEST

START_TEST(test_surrogates_stable)
{
	struct dp_import_counts c;
	struct dp_record r;
	struct dp_server s;
	uint32_t idx;
	sqlite3 *db;

	import_grid(3, 2, false, NULL);
	/* Re-import in reverse order: same indexes. */
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	for (int sv = 3; sv >= 1; sv--)
		for (int p = 2; p >= 1; p--) {
			record(&r, sv, p, (sv + p) % 4);
			ck_assert_int_eq(dp_store_import_record(st, &r), 0);
		}
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.records, 6);
	ck_assert_uint_eq(c.unchanged, 6);
	ck_assert_uint_eq(c.inserted, 0);
	ck_assert_int_eq(dp_store_server_find(st, nal(3), "PS1", &idx), 1);
	ck_assert_uint_eq(idx, 3);
	ck_assert_int_eq(dp_store_package_find(st, pkg(2), &idx), 1);
	ck_assert_uint_eq(idx, 2);

	/* A snapshot without server 2 hides it; its index stays its own. */
	ck_assert_int_eq(dp_store_import_begin(st, true), 0);
	for (int sv = 1; sv <= 3; sv += 2)
		for (int p = 1; p <= 2; p++) {
			record(&r, sv, p, (sv + p) % 4);
			ck_assert_int_eq(dp_store_import_record(st, &r), 0);
		}
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.removed, 2);
	ck_assert_int_eq(dp_store_server_get(st, 2, &s), 0);
	ck_assert_int_eq(dp_store_server_next(st, 1, &s), 1);
	ck_assert_uint_eq(s.idx, 3);

	/* Server 2 comes back under index 2; a new server gets 4. */
	import_grid(4, 2, false, &c);
	ck_assert_uint_eq(c.inserted, 4);
	ck_assert_int_eq(dp_store_server_find(st, nal(2), "PS1", &idx), 1);
	ck_assert_uint_eq(idx, 2);
	ck_assert_int_eq(dp_store_server_find(st, nal(4), "PS1", &idx), 1);
	ck_assert_uint_eq(idx, 4);

	/* Even a server deleted by hand never gives its index away. */
	db = raw_open();
	raw_exec(db, "DELETE FROM dp WHERE server_idx = 4; "
	    "DELETE FROM server WHERE idx = 4");
	sqlite3_close(db);
	import_grid(5, 1, false, NULL);
	ck_assert_int_eq(dp_store_server_find(st, nal(4), "PS1", &idx), 1);
	ck_assert_uint_eq(idx, 5);
	ck_assert_int_eq(dp_store_server_find(st, nal(5), "PS1", &idx), 1);
	ck_assert_uint_eq(idx, 6);
}
END_TEST

START_TEST(test_events_any_writer)
{
	sqlite3 *db;
	sqlite3_stmt *s;

	import_grid(2, 2, false, NULL);	/* (1,1) has status 2 */
	db = raw_open();
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM status_event"), 0);
	raw_exec(db, "UPDATE dp SET status = 1 WHERE server_idx = 1 AND "
	    "package_idx = 1");
	raw_exec(db, "UPDATE dp SET status = 1 WHERE server_idx = 1 AND "
	    "package_idx = 1");	/* no transition */
	raw_exec(db, "UPDATE dp SET isv_string = 'x'");	/* no transition */
	raw_exec(db, "DELETE FROM dp WHERE server_idx = 2 AND package_idx = 1");
	/* (2,2) has status 0; set it deleted, then remove it: one event. */
	raw_exec(db, "UPDATE dp SET status = 3 WHERE server_idx = 2 AND "
	    "package_idx = 2");
	raw_exec(db, "DELETE FROM dp WHERE server_idx = 2 AND package_idx = 2");

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT seq, server_idx, "
	    "package_idx, package_id, server_nal_path, site_code, status, "
	    "prev_status, at_ms > 0, delivered_ms IS NULL FROM status_event "
	    "ORDER BY seq", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 1);
	ck_assert_int_eq(sqlite3_column_int(s, 1), 1);
	ck_assert_int_eq(sqlite3_column_int(s, 2), 1);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 3), "PS100001");
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 4), nal(1));
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 5), "PS1");
	ck_assert_int_eq(sqlite3_column_int(s, 6), 1);
	ck_assert_int_eq(sqlite3_column_int(s, 7), 2);
	ck_assert_int_eq(sqlite3_column_int(s, 8), 1);
	ck_assert_int_eq(sqlite3_column_int(s, 9), 1);
	/* Removal of (2,1), status (2+1)%4 = 3: already deleted, no event.
	 * Status of (2,2) 0 -> 3, then its removal: no second event. */
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), 2);
	ck_assert_int_eq(sqlite3_column_int(s, 1), 2);
	ck_assert_int_eq(sqlite3_column_int(s, 2), 2);
	ck_assert_int_eq(sqlite3_column_int(s, 6), 3);
	ck_assert_int_eq(sqlite3_column_int(s, 7), 0);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);

	/* A removed row with another status is a transition to deleted;
	 * (1,2) had (1+2)%4 = 3 already: no event. */
	raw_exec(db, "DELETE FROM dp WHERE server_idx = 1 AND package_idx = 2");
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM status_event"), 2);
	raw_exec(db, "DELETE FROM dp WHERE server_idx = 1 AND package_idx = 1");
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM status_event"), 3);
	ck_assert_int_eq(raw_int(db, "SELECT status * 10 + prev_status "
	    "FROM status_event WHERE seq = 3"), 31);
	sqlite3_close(db);
}
END_TEST

/* Compares every kept count with a recount. */
static void
assert_counts_match(void)
{
	sqlite3 *db = raw_open();

	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM ("
	    "SELECT s.idx FROM server s LEFT JOIN dp d ON d.server_idx = s.idx "
	    "GROUP BY s.idx HAVING s.rows IS NOT count(d.server_idx) "
	    "OR s.n_none IS NOT total(d.status = 0) "
	    "OR s.n_updated IS NOT total(d.status = 1) "
	    "OR s.n_added IS NOT total(d.status = 2) "
	    "OR s.n_deleted IS NOT total(d.status = 3) "
	    "OR s.n_other IS NOT total(d.status NOT BETWEEN 0 AND 3))"), 0);
	ck_assert_int_eq(raw_int(db, "SELECT count(*) FROM ("
	    "SELECT p.idx FROM package p LEFT JOIN dp d "
	    "ON d.package_idx = p.idx GROUP BY p.idx "
	    "HAVING p.rows IS NOT count(d.package_idx) "
	    "OR p.n_none IS NOT total(d.status = 0) "
	    "OR p.n_updated IS NOT total(d.status = 1) "
	    "OR p.n_added IS NOT total(d.status = 2) "
	    "OR p.n_deleted IS NOT total(d.status = 3) "
	    "OR p.n_other IS NOT total(d.status NOT BETWEEN 0 AND 3))"), 0);
	ck_assert_int_eq(raw_int(db, "SELECT "
	    "(SELECT rows FROM meta) = (SELECT count(*) FROM dp) AND "
	    "(SELECT n_none FROM meta) = (SELECT count(*) FROM dp "
	    "  WHERE status = 0) AND "
	    "(SELECT n_updated FROM meta) = (SELECT count(*) FROM dp "
	    "  WHERE status = 1) AND "
	    "(SELECT n_added FROM meta) = (SELECT count(*) FROM dp "
	    "  WHERE status = 2) AND "
	    "(SELECT n_deleted FROM meta) = (SELECT count(*) FROM dp "
	    "  WHERE status = 3) AND "
	    "(SELECT n_other FROM meta) = (SELECT count(*) FROM dp "
	    "  WHERE status NOT BETWEEN 0 AND 3) AND "
	    "(SELECT servers FROM meta) = (SELECT count(*) FROM server "
	    "  WHERE rows > 0) AND "
	    "(SELECT packages FROM meta) = (SELECT count(*) FROM package "
	    "  WHERE rows > 0)"), 1);
	sqlite3_close(db);
}

START_TEST(test_counts_recount)
{
	struct dp_record r;
	struct dp_scalars sc;
	unsigned seed = 12345;

	/* Random imports, snapshots and statuses (7 is outside the MIB's
	 * enumeration: the "other" bucket). */
	for (int round = 0; round < 25; round++) {
		bool snapshot = round % 3 == 2;
		int n = 0;

		ck_assert_int_eq(dp_store_import_begin(st, snapshot), 0);
		for (int s = 1; s <= 4; s++)
			for (int p = 1; p <= 5; p++) {
				seed = seed * 1103515245u + 12345u;
				if ((seed >> 16) % 3 == 0)
					continue;
				record(&r, s, p, (int32_t)((seed >> 8) % 5) == 4
				    ? 7 : (int32_t)((seed >> 8) % 5));
				ck_assert_int_eq(dp_store_import_record(st, &r),
				    0);
				n++;
			}
		ck_assert_int_eq(dp_store_import_end(st, true, NULL), 0);
		assert_counts_match();
		ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
		if (snapshot)
			ck_assert_uint_eq(sc.rows, (uint32_t)n);
	}
}
END_TEST

START_TEST(test_import_semantics)
{
	static const uint8_t blob[] = { 0x49, 0x53, 0x56, 0x00, 0xff };
	struct dp_import_counts c;
	struct dp_scalars before, after;
	struct dp_record r;
	struct dp_row row;

	record(&r, 1, 1, 2);
	r.isv_data = blob;
	r.isv_data_len = sizeof(blob);
	r.isv_data_size = sizeof(blob);
	r.isv_string = "owner=acme";
	r.bits_enabled = true;
	strcpy(r.last_refresh_time, "2024-05-01T10:00:00.123456+02:00");
	r.present |= 1u << DP_P_ISV_DATA | 1u << DP_P_ISV_DATA_SIZE |
	    1u << DP_P_ISV_STRING | 1u << DP_P_BITS_ENABLED |
	    1u << DP_P_LAST_REFRESH_TIME;
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.inserted, 1);
	ck_assert_int_eq(dp_store_scalars(st, &before), 0);
	ck_assert_uint_eq(before.change_counter, 1);
	ck_assert_int_gt(before.last_import_ms, 0);
	ck_assert_int_gt(before.last_change_ms, 0);

	/* Null (absent) lazy properties keep the stored values. */
	record(&r, 1, 1, 2);
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.unchanged, 1);
	ck_assert_int_eq(dp_store_row_get(st, 1, 1, &row), 1);
	ck_assert_uint_eq(row.isv_data_len, sizeof(blob));
	ck_assert_mem_eq(row.isv_data, blob, sizeof(blob));
	ck_assert_uint_eq(row.isv_data_size, 5);
	ck_assert_str_eq(row.isv_string, "owner=acme");
	ck_assert(row.bits_enabled);
	ck_assert_str_eq(row.last_refresh_time,
	    "2024-05-01T10:00:00.123456+02:00");
	ck_assert_int_eq(dp_store_scalars(st, &after), 0);
	ck_assert_uint_eq(after.change_counter, 1);

	/* A changed value: one update, counter +1, status counts move. */
	record(&r, 1, 1, 1);
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.updated, 1);
	ck_assert_uint_eq(c.inserted, 0);
	ck_assert_int_eq(dp_store_scalars(st, &after), 0);
	ck_assert_uint_eq(after.change_counter, 2);
	ck_assert_uint_eq(after.by_status[DP_B_ADDED], 0);
	ck_assert_uint_eq(after.by_status[DP_B_UPDATED], 1);

	/* A duplicate key in one import: refused, nothing written. */
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	record(&r, 2, 1, 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), -1);
	ck_assert_msg(strstr(dp_store_errmsg(st), "PS100001") != NULL &&
	    strstr(dp_store_errmsg(st), "more than once") != NULL, "%s",
	    dp_store_errmsg(st));
	ck_assert_int_eq(dp_store_import_end(st, false, NULL), 0);
	ck_assert_int_eq(dp_store_scalars(st, &before), 0);
	ck_assert_uint_eq(before.rows, 1);
	ck_assert_uint_eq(before.servers, 1);
	ck_assert_uint_eq(before.change_counter, 2);
	ck_assert_int_eq(dp_store_row_get(st, 2, 1, &row), 0);

	/* An empty snapshot would wipe everything: refused. */
	ck_assert_int_eq(dp_store_import_begin(st, true), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, NULL), -1);
	ck_assert_msg(strstr(dp_store_errmsg(st), "no records") != NULL, "%s",
	    dp_store_errmsg(st));
	ck_assert_int_eq(dp_store_scalars(st, &after), 0);
	ck_assert_uint_eq(after.rows, 1);
}
END_TEST

/*
 * The path no longer naming the file open (issue 18): a write is refused
 * at its start, and at its commit, and leaves no transaction behind.
 */
START_TEST(test_file_replaced)
{
	char moved[160], want[512], buf[96];
	int64_t outbox_id = 0;
	struct stat sb;
	FILE *f;

	ck_assert_int_eq(dp_store_file_check(st), DP_STORE_FILE_SAME);
	ck_assert_str_eq(dp_store_path(st), fixture_db_path);
	snprintf(moved, sizeof(moved), "%s/moved.db", fixture_dir);
	ck_assert_int_eq(rename(fixture_db_path, moved), 0);
	ck_assert_int_eq(dp_store_file_check(st), DP_STORE_FILE_GONE);
	ck_assert_int_eq(dp_store_write_begin(st), -1);
	snprintf(want, sizeof(want), "starting a write: %s: the database "
	    "file was deleted since it was opened", fixture_db_path);
	ck_assert_str_eq(dp_store_errmsg(st), want);

	/* Another file at the path. */
	f = fopen(fixture_db_path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(stat(fixture_db_path, &sb), 0);
	ck_assert_int_eq(dp_store_file_check(st), DP_STORE_FILE_REPLACED);
	ck_assert_int_eq(stat(moved, &sb), 0);
	snprintf(want, sizeof(want), "was replaced by another file (inode "
	    "%ju, now ", (uintmax_t)sb.st_ino);
	ck_assert_int_eq(strncmp(dp_store_file_text(st,
	    DP_STORE_FILE_REPLACED, buf, sizeof(buf)), want, strlen(want)), 0);
	ck_assert_int_eq(dp_store_write_begin(st), -1);

	/* Back: writes again, and the failed ones left no transaction. */
	ck_assert_int_eq(rename(moved, fixture_db_path), 0);
	ck_assert_int_eq(dp_store_file_check(st), DP_STORE_FILE_SAME);
	ck_assert_int_eq(dp_store_write_begin(st), 0);
	ck_assert_int_eq(dp_store_set_isv_string(st, 1, 1, "x", -1, "",
	    &outbox_id) >= 0, 1);

	/* Gone between the start and the commit: rolled back, refused. */
	ck_assert_int_eq(rename(fixture_db_path, moved), 0);
	ck_assert_int_eq(dp_store_write_end(st, true), -1);
	snprintf(want, sizeof(want), "committing a write: %s: the database "
	    "file was deleted since it was opened", fixture_db_path);
	ck_assert_str_eq(dp_store_errmsg(st), want);
	ck_assert_int_eq(rename(moved, fixture_db_path), 0);
	ck_assert_int_eq(dp_store_write_begin(st), 0);
	ck_assert_int_eq(dp_store_write_end(st, true), 0);
}
END_TEST

/* dpctl init where a daemon still holds the deleted file (issue 18). */
START_TEST(test_init_beside_old_wal)
{
	char err[1024], want[1024], path[96], wal[112], shm[112];
	FILE *f;

	snprintf(path, sizeof(path), "%s/gone.db", fixture_dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);
	f = fopen(shm, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_ptr_null(dp_store_open(path, DP_STORE_CREATE, 100, err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "%s: the database file is missing but "
	    "%s exists: a dpagentd or snmpd (dpagent.so) probably still has "
	    "the deleted database open, and SQLite would take it into the new "
	    "one; stop dpagentd and snmpd first (then remove it if it "
	    "remains)", path, shm);
	ck_assert_str_eq(err, want);
	f = fopen(wal, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_ptr_null(dp_store_open(path, DP_STORE_CREATE, 100, err,
	    sizeof(err)));
	snprintf(want, sizeof(want), "%s: the database file is missing but "
	    "%s and %s exist: a dpagentd or snmpd (dpagent.so) probably still "
	    "has the deleted database open, and SQLite would take them into "
	    "the new one; stop dpagentd and snmpd first (then remove them if "
	    "they remain)", path, wal, shm);
	ck_assert_str_eq(err, want);
	ck_assert_int_eq(access(path, F_OK), -1);	/* not created */
	unlink(wal);
	unlink(shm);
}
END_TEST

START_TEST(test_data_version)
{
	int64_t v1, v2, v3;
	sqlite3 *db;

	ck_assert_int_eq(dp_store_data_version(st, &v1), 0);
	ck_assert_int_eq(dp_store_data_version(st, &v2), 0);
	ck_assert_int_eq(v1, v2);
	db = raw_open();
	raw_exec(db, "UPDATE meta SET last_import_ms = 1");
	sqlite3_close(db);
	ck_assert_int_eq(dp_store_data_version(st, &v3), 0);
	ck_assert_int_ne(v1, v3);
}
END_TEST

START_TEST(test_backup_restore)
{
	char out[96], err[256];
	struct dp_store *copy;
	struct dp_row a, b;
	struct dp_scalars s1, s2;
	int64_t sa = 0, pa = 0;
	int rc;

	import_grid(3, 4, false, NULL);
	snprintf(out, sizeof(out), "%s/backup.db", fixture_dir);
	ck_assert_msg(dp_store_backup(st, out) == 0, "%s",
	    dp_store_errmsg(st));
	/* Never overwrites. */
	ck_assert_int_eq(dp_store_backup(st, out), -1);
	ck_assert_msg(strstr(dp_store_errmsg(st), "exists") != NULL, "%s",
	    dp_store_errmsg(st));

	copy = dp_store_open(out, 0, 100, err, sizeof(err));
	ck_assert_msg(copy != NULL, "%s", err);
	ck_assert_int_eq(dp_store_scalars(st, &s1), 0);
	ck_assert_int_eq(dp_store_scalars(copy, &s2), 0);
	ck_assert_uint_eq(s1.rows, 12);
	ck_assert_uint_eq(s2.rows, 12);
	ck_assert_uint_eq(s1.change_counter, s2.change_counter);
	while ((rc = dp_store_row_next(st, sa, pa, &a)) == 1) {
		ck_assert_int_eq(dp_store_row_next(copy, sa, pa, &b), 1);
		ck_assert_uint_eq(a.server_idx, b.server_idx);
		ck_assert_uint_eq(a.package_idx, b.package_idx);
		ck_assert_str_eq(a.package_id, b.package_id);
		ck_assert_str_eq(a.server_nal_path, b.server_nal_path);
		sa = a.server_idx;
		pa = a.package_idx;
	}
	ck_assert_int_eq(rc, 0);
	dp_store_close(copy);
}
END_TEST

START_TEST(test_prune)
{
	uint64_t events = 0, writes = 0;
	int64_t now = dp_now_ms();
	char sql[512];
	sqlite3 *db;

	import_grid(1, 4, false, NULL);
	db = raw_open();
	raw_exec(db, "UPDATE dp SET status = 9");	/* 4 events */
	snprintf(sql, sizeof(sql),
	    "UPDATE status_event SET delivered_ms = %" PRId64 " WHERE seq = 1;"
	    "UPDATE status_event SET delivered_ms = %" PRId64 " WHERE seq = 2;"
	    "INSERT INTO outbox (server_idx, package_idx, package_id, "
	    "server_nal_path, site_code, property, requested_ms, acked_ms) "
	    "VALUES (1, 1, 'p', 'n', 's', 'RefreshNow', 0, %" PRId64 "), "
	    "(1, 2, 'p', 'n', 's', 'RefreshNow', 0, NULL), "
	    "(1, 3, 'p', 'n', 's', 'ISVString', 0, %" PRId64 ")",
	    (int64_t)(now - 10 * 86400000LL), now - 1000,
	    (int64_t)(now - 10 * 86400000LL),
	    now - 1000);
	raw_exec(db, sql);
	ck_assert_int_eq(raw_int(db, "SELECT pending_writes FROM meta"), 1);
	sqlite3_close(db);

	ck_assert_int_eq(dp_store_prune(st, now, 86400, &events, &writes), 0);
	ck_assert_uint_eq(events, 1);
	ck_assert_uint_eq(writes, 1);
	db = raw_open();
	ck_assert_int_eq(raw_int(db, "SELECT group_concat(seq) = '2,3,4' "
	    "FROM status_event"), 1);
	ck_assert_int_eq(raw_int(db, "SELECT group_concat(id) = '2,3' "
	    "FROM outbox"), 1);
	ck_assert_int_eq(raw_int(db, "SELECT pending_writes FROM meta"), 1);
	sqlite3_close(db);
}
END_TEST


/*
 * Issue 18, item 4: a snapshot removes a row with a pending ISVString
 * write; a later import brings the row back.  The written value must be
 * served again, as the import says ("kept") and dpISVStringPending shows:
 * the write waits for ConfigMgr whatever happened to the row meanwhile.
 */
START_TEST(test_pending_write_survives_removal)
{
	struct dp_import_counts c;
	struct dp_record r;
	struct dp_row row;
	int64_t id;

	import_grid(1, 2, false, NULL);
	ck_assert_int_eq(dp_store_write_begin(st), 0);
	ck_assert_int_eq(dp_store_set_isv_string(st, 1, 2, "owner=snmp", 7,
	    NULL, &id), 1);
	ck_assert_int_eq(dp_store_write_end(st, true), 0);

	/* Row (1, 2) absent from a complete export: removed. */
	ck_assert_int_eq(dp_store_import_begin(st, true), 0);
	record(&r, 1, 1, 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.removed, 1);
	ck_assert_int_eq(dp_store_row_get(st, 1, 2, &row), 0);

	/* Back, with the export's (older) value. */
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	record(&r, 1, 2, 0);
	r.isv_string = "";
	r.present |= 1u << DP_P_ISV_STRING;
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.kept_pending, 1);
	ck_assert_int_eq(dp_store_row_get(st, 1, 2, &row), 1);
	ck_assert_str_eq(row.isv_string, "owner=snmp");
	ck_assert(row.isv_string_pending);

	/* Once ConfigMgr acknowledged it, its export wins again. */
	ck_assert_int_eq(dp_store_ack(st, &id, 1, dp_now_ms()), 0);
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_int_eq(dp_store_row_get(st, 1, 2, &row), 1);
	ck_assert_str_eq(row.isv_string, "");
	ck_assert(!row.isv_string_pending);
}
END_TEST

/*
 * Issue 18, item 6: WMI compares the keys without regard to case, so
 * "ps1" is site PS1 and "ps100012" package PS100012: the first spelling
 * seen is kept, another spelling finds it, and the same key in two
 * spellings in one import is a duplicate.
 */
START_TEST(test_keys_ignore_case)
{
	struct dp_import_counts c;
	struct dp_record r;
	struct dp_scalars sc;
	struct dp_server srv;
	struct dp_package pk;
	char lower_nal[128], lower_pkg[16];
	uint32_t idx;

	import_grid(1, 1, false, NULL);
	snprintf(lower_nal, sizeof(lower_nal), "%s", nal(1));
	for (char *p = lower_nal; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(lower_pkg, sizeof(lower_pkg), "ps1%05d", 1);

	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	record(&r, 1, 1, 3);
	r.site_code = "ps1";
	r.server_nal_path = lower_nal;
	r.package_id = lower_pkg;
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	ck_assert_int_eq(dp_store_import_end(st, true, &c), 0);
	ck_assert_uint_eq(c.inserted, 0);
	ck_assert_uint_eq(c.updated, 1);
	ck_assert_int_eq(dp_store_scalars(st, &sc), 0);
	ck_assert_uint_eq(sc.servers, 1);
	ck_assert_uint_eq(sc.packages, 1);
	ck_assert_uint_eq(sc.rows, 1);
	ck_assert_int_eq(dp_store_server_get(st, 1, &srv), 1);
	ck_assert_str_eq(srv.site_code, "PS1");	/* the first spelling */
	ck_assert_str_eq(srv.nal_path, nal(1));
	ck_assert_int_eq(dp_store_package_get(st, 1, &pk), 1);
	ck_assert_str_eq(pk.package_id, pkg(1));
	ck_assert_int_eq(dp_store_server_find(st, lower_nal, "Ps1", &idx), 1);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(dp_store_package_find(st, lower_pkg, &idx), 1);
	ck_assert_uint_eq(idx, 1);

	/* Two spellings of one key in one import: refused. */
	ck_assert_int_eq(dp_store_import_begin(st, false), 0);
	record(&r, 1, 1, 0);
	ck_assert_int_eq(dp_store_import_record(st, &r), 0);
	r.package_id = lower_pkg;
	ck_assert_int_eq(dp_store_import_record(st, &r), -1);
	ck_assert_ptr_nonnull(strstr(dp_store_errmsg(st), "appears more than "
	    "once in this import"));
	ck_assert_int_eq(dp_store_import_end(st, false, NULL), 0);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("model");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schema_version);
	tcase_add_test(tc, test_not_a_database);
	tcase_add_test(tc, test_open_refusals);
	tcase_add_test(tc, test_busy_message);
	tcase_add_test(tc, test_next_order);
	tcase_add_test(tc, test_servers_packages);
	tcase_add_test(tc, test_surrogates_stable);
	tcase_add_test(tc, test_events_any_writer);
	tcase_add_test(tc, test_counts_recount);
	tcase_add_test(tc, test_import_semantics);
	tcase_add_test(tc, test_pending_write_survives_removal);
	tcase_add_test(tc, test_keys_ignore_case);
	tcase_add_test(tc, test_file_replaced);
	tcase_add_test(tc, test_init_beside_old_wal);
	tcase_add_test(tc, test_data_version);
	tcase_add_test(tc, test_backup_restore);
	tcase_add_test(tc, test_prune);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(store_suite());
}
