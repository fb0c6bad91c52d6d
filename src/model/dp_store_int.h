/*
 * dp_store_int: for the model's own modules (dp_events.c, ...), which keep
 * their prepared statements beside the store's.  Not for the agent or the
 * programs: they use dp_store.h.
 */
#ifndef DP_STORE_INT_H
#define DP_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "model/dp_store.h"

/*
 * Status values as SQL literals, stringified from the C constants: the
 * migrations (dp_schema.h) and the live statements use these, so C and SQL
 * cannot disagree.  They are the class's values, which never change.
 */
#define DP_SQL_STR_(x)	#x
#define DP_SQL_STR(x)	DP_SQL_STR_(x)
#define DP_SQL_NONE	DP_SQL_STR(DP_STATUS_NONE)
#define DP_SQL_UPDATED	DP_SQL_STR(DP_STATUS_UPDATED)
#define DP_SQL_ADDED	DP_SQL_STR(DP_STATUS_ADDED)
#define DP_SQL_DELETED	DP_SQL_STR(DP_STATUS_DELETED)
/* SMS_PackageStatusDistPointsSummarizer.State values, the same way. */
#define DP_SQL_DIST_ABSENT		DP_SQL_STR(DP_DIST_ABSENT)
#define DP_SQL_DIST_INSTALLED		DP_SQL_STR(DP_DIST_INSTALLED)
#define DP_SQL_DIST_INSTALL_PENDING	DP_SQL_STR(DP_DIST_INSTALL_PENDING)
#define DP_SQL_DIST_INSTALL_RETRYING	DP_SQL_STR(DP_DIST_INSTALL_RETRYING)
#define DP_SQL_DIST_INSTALL_FAILED	DP_SQL_STR(DP_DIST_INSTALL_FAILED)
#define DP_SQL_DIST_REMOVAL_PENDING	DP_SQL_STR(DP_DIST_REMOVAL_PENDING)
#define DP_SQL_DIST_REMOVAL_RETRYING	DP_SQL_STR(DP_DIST_REMOVAL_RETRYING)
#define DP_SQL_DIST_REMOVAL_FAILED	DP_SQL_STR(DP_DIST_REMOVAL_FAILED)
#define DP_SQL_DIST_CONTENT_UPDATING	DP_SQL_STR(DP_DIST_CONTENT_UPDATING)

/* The connection; the caller resets every statement it steps. */
sqlite3	*dp_store_sqlite(struct dp_store *st);

/* Sets dp_store_errmsg(); returns -1. */
int	dp_store_fail(struct dp_store *st, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "what: <SQLite's message>"; returns -1. */
int	dp_store_sqlfail(struct dp_store *st, const char *what);

/* Resets a statement and clears its bindings at once: a statement left
 * mid-step holds a read transaction, which freezes data_version and
 * starves checkpoints. */
void	dp_store_stmt_done(sqlite3_stmt *s);

/*
 * The one-row read of the model's modules: steps s (parameters bound)
 * once, hands the row to reader (if not NULL), resets s.  1 a row, 0 none,
 * -1 an error ("what: <SQLite's message>" in dp_store_errmsg()).
 *
 * A reader takes out as void * and converts it itself: calling a function
 * through a pointer of another type (a reader of struct dp_row * cast to
 * this type) is undefined behaviour, and clang's -fsanitize=cfi-icall
 * stops it.
 */
typedef void (*dp_store_reader)(sqlite3_stmt *s, void *out);
int	dp_store_step_one(struct dp_store *st, sqlite3_stmt *s,
	    dp_store_reader reader, void *out, const char *what);

/* Column readers: integers clamped to the type, text cut to dstsize - 1
 * (only plain SQL can store longer values than the MIB allows). */
uint32_t dp_store_col_u32(sqlite3_stmt *s, int col);
int32_t	dp_store_col_i32(sqlite3_stmt *s, int col);
void	dp_store_copy_text(char *dst, size_t dstsize, sqlite3_stmt *s,
	    int col);

#endif
