/*
 * check_schema: the shipped migrations are frozen (src/model/dp_schema.h).
 * A database created at schema 1 and migrated step by step must end with
 * the same sqlite_master (tables, indexes, triggers; SQL compared after
 * normalising whitespace) as a fresh one, and the fresh one must be the
 * recorded schema of its version (tests/data/schema-N.txt): a change to a
 * shipped migration, or to what a fresh database gets, fails here.
 *
 * DP_SCHEMA_WRITE=FILE writes the fresh database's normalised schema to
 * FILE, to record a new version's.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "model/dp_schema.h"
#include "model/dp_store.h"
#include "fixture.h"

#ifndef DP_TEST_DATA
#error "DP_TEST_DATA must name tests/data"
#endif

static void
setup(void)
{
	fixture_dir_open("check_schema");
}

static void
teardown(void)
{
	fixture_dir_close();
}

static void
db_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", fixture_dir, name);
}

/* Runs of whitespace become one space; none at either end. */
static void
normalise(const char *in, char *out, size_t size)
{
	size_t o = 0;
	bool space = false;

	for (; *in != '\0' && o + 1 < size; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\r') {
			space = o > 0;
			continue;
		}
		/* Never longer than the input: a space replaces one or more. */
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = *in;
	}
	out[o] = '\0';
}

/* sqlite_master of db, one "type|name|tbl_name|sql" line per object. */
static char *
master(sqlite3 *db)
{
	sqlite3_stmt *s;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap), *sql;
	int rc;

	ck_assert_ptr_nonnull(buf);
	buf[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, "
	    "coalesce(sql, '') FROM sqlite_master WHERE type IN ('table', "
	    "'index', 'trigger') ORDER BY type, name", -1, &s, NULL),
	    SQLITE_OK);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *raw = (const char *)sqlite3_column_text(s, 3);
		size_t n = strlen(raw) + 1;

		ck_assert_ptr_nonnull(sql = malloc(n));
		normalise(raw, sql, n);
		n = (size_t)snprintf(buf + len, cap - len, "%s|%s|%s|%s\n",
		    sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
		    sqlite3_column_text(s, 2), sql);
		free(sql);
		ck_assert_msg(len + n < cap, "schema larger than %zu", cap);
		len += n;
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	sqlite3_finalize(s);
	return buf;
}

static char *
master_of(const char *path)
{
	sqlite3 *db;
	char *m;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	m = master(db);
	sqlite3_close(db);
	return m;
}

static int
user_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Applies migration v (v -> v + 1) as dp_store_open() does. */
static void
apply(sqlite3 *db, int v)
{
	char sql[64], *msg = NULL;

	ck_assert_int_eq(user_version(db), v);
	ck_assert_msg(sqlite3_exec(db, dp_migrations[v], NULL, NULL, &msg) ==
	    SQLITE_OK, "migration %d -> %d: %s", v, v + 1, msg);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* A database at schema `version', by the migrations alone. */
static void
create_at(const char *path, int version)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (int v = 0; v < version; v++)
		apply(db, v);
	sqlite3_close(db);
}

/* A fresh database, as dpctl init creates it. */
static void
create_fresh(const char *path)
{
	char err[512];
	struct dp_store *st;

	st = dp_store_open(path, DP_STORE_CREATE, 1000, err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_int_eq(dp_store_schema_version(st), DP_SCHEMA_VERSION);
	dp_store_close(st);
}

static void
assert_same(const char *what, const char *got, const char *want)
{
	ck_assert_msg(strcmp(got, want) == 0, "%s differs from a fresh "
	    "database:\n--- %s\n%s--- fresh\n%s", what, what, got, want);
}

START_TEST(test_step_by_step)
{
	char fresh[512], stepped[512], opened[512];
	char *m_fresh, *m;
	sqlite3 *db;

	db_path(fresh, sizeof(fresh), "fresh.db");
	create_fresh(fresh);
	m_fresh = master_of(fresh);

	/* Schema 1, then each migration on its own, in order. */
	db_path(stepped, sizeof(stepped), "stepped.db");
	create_at(stepped, 1);
	ck_assert_int_eq(sqlite3_open(stepped, &db), SQLITE_OK);
	for (int v = 1; v < DP_SCHEMA_VERSION; v++)
		apply(db, v);
	ck_assert_int_eq(user_version(db), DP_SCHEMA_VERSION);
	sqlite3_close(db);
	m = master_of(stepped);
	assert_same("schema 1 migrated step by step", m, m_fresh);
	free(m);

	/* Schema 1 migrated by dp_store_open(), as dpctl init does. */
	db_path(opened, sizeof(opened), "opened.db");
	create_at(opened, 1);
	create_fresh(opened);
	m = master_of(opened);
	assert_same("schema 1 migrated by dp_store_open", m, m_fresh);
	free(m);
	free(m_fresh);
}
END_TEST

/* Every intermediate version migrates to the same schema too. */
START_TEST(test_every_version)
{
	char fresh[512], path[512];
	char *m_fresh, *m;

	db_path(fresh, sizeof(fresh), "fresh.db");
	create_fresh(fresh);
	m_fresh = master_of(fresh);
	for (int v = 1; v < DP_SCHEMA_VERSION; v++) {
		char what[64];

		snprintf(path, sizeof(path), "%s/v%d.db", fixture_dir, v);
		create_at(path, v);
		create_fresh(path);
		m = master_of(path);
		snprintf(what, sizeof(what), "schema %d migrated", v);
		assert_same(what, m, m_fresh);
		free(m);
	}
	free(m_fresh);
}
END_TEST

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "%s: cannot open", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	ck_assert_ptr_nonnull(buf = malloc((size_t)n + 1));
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* The fresh schema is the recorded one of its version. */
START_TEST(test_recorded)
{
	char fresh[512], recorded[512];
	const char *out = getenv("DP_SCHEMA_WRITE");
	char *m, *want;

	db_path(fresh, sizeof(fresh), "fresh.db");
	create_fresh(fresh);
	m = master_of(fresh);
	if (out != NULL) {
		FILE *f = fopen(out, "w");

		ck_assert_ptr_nonnull(f);
		fputs(m, f);
		ck_assert_int_eq(fclose(f), 0);
	}
	snprintf(recorded, sizeof(recorded), "%s/schema-%d.txt", DP_TEST_DATA,
	    DP_SCHEMA_VERSION);
	want = slurp(recorded);
	ck_assert_msg(strcmp(m, want) == 0, "a fresh database is not schema "
	    "%d as recorded in %s:\n%s", DP_SCHEMA_VERSION, recorded, m);
	free(want);
	free(m);
}
END_TEST

START_TEST(test_status_constants)
{
	/* The SQL text spells the C constants. */
	ck_assert_str_eq(DP_SQL_NONE, "0");
	ck_assert_int_eq(atoi(DP_SQL_NONE), DP_STATUS_NONE);
	ck_assert_int_eq(atoi(DP_SQL_UPDATED), DP_STATUS_UPDATED);
	ck_assert_int_eq(atoi(DP_SQL_ADDED), DP_STATUS_ADDED);
	ck_assert_int_eq(atoi(DP_SQL_DELETED), DP_STATUS_DELETED);
}
END_TEST

static Suite *
schema_suite(void)
{
	Suite *s = suite_create("schema");
	TCase *tc = tcase_create("migrations");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_step_by_step);
	tcase_add_test(tc, test_every_version);
	tcase_add_test(tc, test_recorded);
	tcase_add_test(tc, test_status_constants);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return fixture_run(schema_suite());
}
