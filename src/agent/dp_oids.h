/*
 * dp_oids: where DISTRIBUTION-POINT-MIB lives and how it is numbered.
 * Must match mibs/DISTRIBUTION-POINT-MIB.txt (the MIB test checks the
 * numbers; the integration tests walk them).
 *
 * A site with its own enterprise number re-roots the module by changing
 * DP_MIB_ROOT here and the MODULE-IDENTITY line of the MIB.
 */
#ifndef DP_OIDS_H
#define DP_OIDS_H

#include <stdint.h>

#include "model/dp_columns.h"

/* enterprises.32473 (RFC 5612 documentation number) .77 = dpMIB */
#define DP_MIB_ROOT		1, 3, 6, 1, 4, 1, 32473, 77
#define DP_MIB_ROOT_LEN		8

/* Arcs under dpMIB. */
#define DP_ARC_NOTIFICATIONS	0
#define DP_ARC_OBJECTS		1

/* Arcs under dpObjects. */
#define DP_PART_SCALARS		1
#define DP_PART_SERVERS		2
#define DP_PART_PACKAGES	3
#define DP_PART_ROWS		4
#define DP_PART_SUMMARY		5	/* accessible-for-notify only */
#define DP_PART_DIST		6

/* dpScalars. */
enum dp_scalar {
	DP_SC_SERVER_COUNT = 1,
	DP_SC_PACKAGE_COUNT,
	DP_SC_ROW_COUNT,
	DP_SC_ROWS_NONE,
	DP_SC_ROWS_UPDATED,
	DP_SC_ROWS_ADDED,
	DP_SC_ROWS_DELETED,
	DP_SC_ROWS_OTHER,
	DP_SC_LAST_CHANGE,
	DP_SC_CHANGE_COUNTER,
	DP_SC_LAST_IMPORT,
	DP_SC_LAST_IMPORT_AGE,
	DP_SC_PENDING_WRITES,
	DP_SC_DIST_ROWS,
	DP_SC_DIST_INSTALLED,	/* .. DP_SC_DIST_INSTALLED + DP_DB_OTHER */
	DP_SC_LAST = DP_SC_DIST_INSTALLED + 4
};

/* dpServerEntry columns. */
enum dp_server_col {
	DP_SRV_INDEX = 1,	/* not-accessible */
	DP_SRV_NAL_PATH,
	DP_SRV_NAME,
	DP_SRV_SITE_CODE,
	DP_SRV_ROWS,
	DP_SRV_ROWS_NONE,	/* .. DP_SRV_ROWS_NONE + DP_B_OTHER */
	DP_SRV_DIST_ROWS = DP_SRV_ROWS_NONE + 5,
	DP_SRV_DIST_INSTALLED,	/* .. DP_SRV_DIST_INSTALLED + DP_DB_OTHER */
	DP_SRV_LAST = DP_SRV_DIST_INSTALLED + 4
};

/* dpPackageEntry columns. */
enum dp_package_col {
	DP_PKG_INDEX = 1,	/* not-accessible */
	DP_PKG_PACKAGE_ID,
	DP_PKG_PACKAGE_TYPE,
	DP_PKG_OBJECT_TYPE_ID,
	DP_PKG_SECURE_OBJECT_ID,
	DP_PKG_SOURCE_SITE,
	DP_PKG_SITE_NAME,
	DP_PKG_ROWS,
	DP_PKG_ROWS_NONE,	/* .. DP_PKG_ROWS_NONE + DP_B_OTHER */
	DP_PKG_DIST_ROWS = DP_PKG_ROWS_NONE + 5,
	DP_PKG_DIST_INSTALLED,	/* .. DP_PKG_DIST_INSTALLED + DP_DB_OTHER */
	DP_PKG_LAST = DP_PKG_DIST_INSTALLED + 4
};

/*
 * dpEntry columns: dp + the WMI property name, numbered as the column
 * table (model/dp_columns.h) says.  The table lists them in column
 * order, so the enum counts them; the assertions below hold each to the
 * number the table gives.
 */
#define DP_COL_ENUM_(id, ...) DP_COL_##id,
enum dp_row_col {
	DP_COL_BEFORE_FIRST_,
	DP_COLUMNS(DP_COL_ENUM_, DP_COL_ENUM_, DP_COL_ENUM_)
	DP_COL_END_,
	DP_COL_LAST = DP_COL_END_ - 1
};
#undef DP_COL_ENUM_

#define DP_COL_CHECK_(id, name, col) \
	_Static_assert(DP_COL_##id == (col), "dpEntry column " #col \
	    " (dp" name ") is out of order in model/dp_columns.h");
#define DP_COL_CHECK_ROW_(id, field, name, kind, max, col, ...) \
	DP_COL_CHECK_(id, name, col)
DP_COLUMNS(DP_COL_CHECK_ROW_, DP_COL_CHECK_ROW_, DP_COL_CHECK_)
#undef DP_COL_CHECK_
#undef DP_COL_CHECK_ROW_

/* The dpEntry columns a GET reads, as bits 1 << column: every column but
 * the accessible-for-notify ones. */
#define DP_COL_BIT_(id, ...) | ((uint64_t)1 << DP_COL_##id)
#define DP_COL_READABLE \
	(0 DP_COLUMNS(DP_COL_BIT_, DP_COL_BIT_, DP_IGNORE))
_Static_assert(DP_COL_LAST < 64, "dpEntry has more columns than "
    "DP_COL_READABLE has bits");

/* dpDistEntry columns, from the column table as for dpEntry. */
#define DP_DIST_COL_ENUM_(id, ...) DP_DIST_COL_##id,
enum dp_dist_col {
	DP_DIST_COL_BEFORE_FIRST_,
	DP_DIST_COLUMNS(DP_DIST_COL_ENUM_, DP_DIST_COL_ENUM_,
	    DP_DIST_COL_ENUM_, DP_DIST_COL_ENUM_)
	DP_DIST_COL_END_,
	DP_DIST_COL_LAST = DP_DIST_COL_END_ - 1
};
#undef DP_DIST_COL_ENUM_

#define DP_DIST_COL_CHECK_(id, name, col) \
	_Static_assert(DP_DIST_COL_##id == (col), "dpDistEntry column " \
	    #col " (dpDist" name ") is out of order in model/dp_columns.h");
#define DP_DIST_COL_CHECK_KEY_(id, field, name, col) \
	DP_DIST_COL_CHECK_(id, name, col)
#define DP_DIST_COL_CHECK_ROW_(id, field, name, kind, max, col, ...) \
	DP_DIST_COL_CHECK_(id, name, col)
DP_DIST_COLUMNS(DP_DIST_COL_CHECK_KEY_, DP_DIST_COL_CHECK_ROW_,
    DP_DIST_COL_CHECK_ROW_, DP_DIST_COL_CHECK_)
#undef DP_DIST_COL_CHECK_
#undef DP_DIST_COL_CHECK_KEY_
#undef DP_DIST_COL_CHECK_ROW_

#define DP_DIST_COL_READABLE \
	(0 DP_DIST_COLUMNS(DP_COL_BIT_DIST_, DP_COL_BIT_DIST_, \
	    DP_COL_BIT_DIST_, DP_IGNORE))
#define DP_COL_BIT_DIST_(id, ...) | ((uint64_t)1 << DP_DIST_COL_##id)

/* dpNotifications. */
#define DP_NOTIFY_STATUS_CHANGE	1
#define DP_NOTIFY_STATUS_SUMMARY	2
#define DP_NOTIFY_DIST_CHANGE	3

/* dpSummary scalars (instance .0), the objects of dpStatusSummary. */
enum dp_summary_obj {
	DP_SUM_TRANSITIONS = 1,
	DP_SUM_FIRST_SEQ,
	DP_SUM_LAST_SEQ,
	DP_SUM_TO_NONE,		/* .. DP_SUM_TO_NONE + DP_B_OTHER */
	DP_SUM_DIST_CHANGES = DP_SUM_TO_NONE + 5,
	DP_SUM_DIST_TO_INSTALLED, /* .. + DP_DB_OTHER */
	DP_SUM_DIST_REMOVED = DP_SUM_DIST_TO_INSTALLED + 5,
	DP_SUM_LAST = DP_SUM_DIST_REMOVED
};

#endif
