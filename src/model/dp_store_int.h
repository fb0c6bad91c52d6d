/*
 * dp_store_int: for the model's own modules (dp_events.c, ...), which keep
 * their prepared statements beside the store's.  Not for the agent or the
 * programs: they use dp_store.h.
 */
#ifndef DP_STORE_INT_H
#define DP_STORE_INT_H

#include <sqlite3.h>

#include "model/dp_store.h"

/* The connection; the caller resets every statement it steps. */
sqlite3	*dp_store_sqlite(struct dp_store *st);

/* Sets dp_store_errmsg(); returns -1. */
int	dp_store_fail(struct dp_store *st, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "what: <SQLite's message>"; returns -1. */
int	dp_store_sqlfail(struct dp_store *st, const char *what);

#endif
