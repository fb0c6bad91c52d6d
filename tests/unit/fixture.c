/*
 * The temporary-database fixture and helpers of the Check suites
 * (fixture.h).
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/dp_store.h"

char fixture_dir[64];
char fixture_db_path[128];

void
fixture_dir_open(const char *suite)
{
	snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/%s.XXXXXX", suite);
	ck_assert_ptr_nonnull(mkdtemp(fixture_dir));
}

void
fixture_dir_close(void)
{
	char cmd[sizeof(fixture_dir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixture_dir);
	ck_assert_int_eq(system(cmd), 0);
}

struct dp_store *
fixture_store_open(const char *suite, int busy_ms)
{
	struct dp_store *st;
	char err[256];

	fixture_dir_open(suite);
	snprintf(fixture_db_path, sizeof(fixture_db_path), "%s/dp.db",
	    fixture_dir);
	st = dp_store_open(fixture_db_path, DP_STORE_CREATE, busy_ms, err,
	    sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	return st;
}

void
fixture_store_close(struct dp_store *st)
{
	dp_store_close(st);
	fixture_dir_close();
}

sqlite3 *
raw_open(void)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(fixture_db_path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);
	return db;
}

void
raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg != NULL ? msg : "");
}

int64_t
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

void
fixture_import_row(struct dp_store *st, const char *nal, const char *pkg,
    int status, const char *isv)
{
	struct dp_record r;

	memset(&r, 0, sizeof(r));
	r.package_id = pkg;
	r.server_nal_path = nal;
	r.site_code = "PS1";
	r.status = status;
	r.isv_string = isv;
	r.present = 1u << DP_P_PACKAGE_ID | 1u << DP_P_SERVER_NAL_PATH |
	    1u << DP_P_SITE_CODE | 1u << DP_P_STATUS | 1u << DP_P_ISV_STRING;
	ck_assert_msg(dp_store_import_record(st, &r) == 0, "%s",
	    dp_store_errmsg(st));
}

int
fixture_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
