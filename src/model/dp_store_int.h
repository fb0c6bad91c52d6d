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
 * once, hands the row to reader (if not NULL), resets s.  1 a row, 0 none, -1 an error
 * ("what: <SQLite's message>" in dp_store_errmsg()).
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
