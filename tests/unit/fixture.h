/*
 * What the Check suites share: a new model in a temporary directory for
 * each test, another writer's raw SQLite connection to it, one row
 * imported as the importer would, and running a suite.
 */
#ifndef DP_TEST_FIXTURE_H
#define DP_TEST_FIXTURE_H

#include <check.h>
#include <stdint.h>

#include <sqlite3.h>

struct dp_store;

/* The open fixture's directory and the model in it. */
extern char fixture_dir[64];
extern char fixture_db_path[128];

/* Creates /tmp/<suite>.XXXXXX as fixture_dir; removes it and all in it. */
void		 fixture_dir_open(const char *suite);
void		 fixture_dir_close(void);

/*
 * Creates /tmp/<suite>.XXXXXX and a model dp.db in it with the given busy
 * timeout; fails the test if either cannot be made.
 */
struct dp_store	*fixture_store_open(const char *suite, int busy_ms);
/* Closes the model and removes the directory with all the test put there. */
void		 fixture_store_close(struct dp_store *st);

/* The model as another writer sees it: busy timeout 1000 ms. */
sqlite3		*raw_open(void);
void		 raw_exec(sqlite3 *db, const char *sql);
/* The first column of the first row; fails the test if there is none. */
int64_t		 raw_int(sqlite3 *db, const char *sql);

/*
 * Imports row (nal, pkg) of site PS1 with Status and ISVString set, inside
 * an import the caller has begun; the strings must live until it ends.
 */
void	fixture_import_row(struct dp_store *st, const char *nal,
	    const char *pkg, int status, const char *isv);

/* Runs every test of s; the exit status of a suite's main(). */
int	fixture_run(Suite *s);

#endif
