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
	DP_SC_LAST = DP_SC_PENDING_WRITES
};

/* dpServerEntry columns. */
enum dp_server_col {
	DP_SRV_INDEX = 1,	/* not-accessible */
	DP_SRV_NAL_PATH,
	DP_SRV_NAME,
	DP_SRV_SITE_CODE,
	DP_SRV_ROWS,
	DP_SRV_ROWS_NONE,	/* .. DP_SRV_ROWS_NONE + DP_B_OTHER */
	DP_SRV_LAST = DP_SRV_ROWS_NONE + 4
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
	DP_PKG_LAST = DP_PKG_ROWS_NONE + 4
};

/* dpEntry columns: dp + the WMI property name. */
enum dp_row_col {
	DP_COL_BITS_ENABLED = 1,
	DP_COL_IS_PEER_DP,
	DP_COL_IS_PROTECTED,
	DP_COL_ISV_DATA,
	DP_COL_ISV_DATA_SIZE,
	DP_COL_ISV_STRING,
	DP_COL_LAST_REFRESH_TIME,
	DP_COL_OBJECT_TYPE_ID,
	DP_COL_PACKAGE_ID,
	DP_COL_PACKAGE_TYPE,
	DP_COL_REFRESH_NOW,
	DP_COL_RESOURCE_TYPE,
	DP_COL_SECURE_OBJECT_ID,
	DP_COL_SERVER_NAL_PATH,
	DP_COL_SITE_CODE,
	DP_COL_SITE_NAME,
	DP_COL_SOURCE_SITE,
	DP_COL_STATUS,
	DP_COL_PREVIOUS_STATUS,		/* accessible-for-notify */
	DP_COL_STATUS_CHANGE_TIME,	/* accessible-for-notify */
	DP_COL_STATUS_EVENT_SEQ,	/* accessible-for-notify */
	DP_COL_REFRESH_PENDING,		/* a refresh waits for ConfigMgr */
	DP_COL_ISV_STRING_PENDING,	/* an ISVString write waits */
	DP_COL_LAST = DP_COL_ISV_STRING_PENDING
};

/* dpNotifications. */
#define DP_NOTIFY_STATUS_CHANGE	1
#define DP_NOTIFY_STATUS_SUMMARY	2

/* dpSummary scalars (instance .0), the objects of dpStatusSummary. */
enum dp_summary_obj {
	DP_SUM_TRANSITIONS = 1,
	DP_SUM_FIRST_SEQ,
	DP_SUM_LAST_SEQ,
	DP_SUM_TO_NONE,		/* .. DP_SUM_TO_NONE + DP_B_OTHER */
	DP_SUM_LAST = DP_SUM_TO_NONE + 4
};

#endif
