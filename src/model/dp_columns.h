/*
 * dp_columns: every column of dpTable, defined once.  One entry per
 * SMS_DistributionPoint property (and per column the model derives or only
 * notifications carry), in dpEntry column order.
 *
 * Why an X-macro and not a const array of descriptors: most of what is
 * derived from this table must exist at compile time -- the enums (enum
 * dp_prop, enum dp_field, enum dp_row_col), the members of struct dp_row
 * and struct dp_record, the SQL text of the prepared statements (string
 * literals, concatenated into static initialisers), the switch cases of
 * the decoder and the encoder, and the static assertions that tie the
 * MIB's column numbers to the enums.  A const array can give none of
 * those; where a table is wanted at run time (dp_props[], the upsert's
 * column list) it is generated from this one.  And a list macro rather
 * than a file included between #defines: it expands anywhere, also in the
 * middle of an SQL string being concatenated.
 *
 * Adding a property of the class is one entry here plus its OBJECT-TYPE in
 * mibs/DISTRIBUTION-POINT-MIB.txt (and a migration that adds its SQL
 * column to dp, dp_schema.h); tests/unit/check_columns.c checks that the
 * MIB's column numbers, SIZEs and accesses equal this table's.
 *
 * DP_COLUMNS(P, D, N) expands P(...) for each property of the class,
 * D(...) for each column the model derives (same arguments as P) and
 * N(...) for each column only notifications carry, in column order; pass
 * DP_IGNORE for what a use does not want.  The arguments that are words
 * (BOOL, RO, DP, KEEP, VALUE, ...) are meant to be pasted (##) onto a
 * prefix, never expanded on their own (FALSE is a macro of Net-SNMP's).
 *
 * P(ID, field, name, kind, max, col, access, model, sql, import,
 *     encode, labels)
 *	ID	DP_P_ID, DP_FIELD_ID and DP_COL_ID
 *	field	the member of struct dp_row and struct dp_record
 *	name	the WMI property name; the MIB object is "dp" name
 *	kind	enum dp_prop_kind without DP_K_: BOOL (bool, TruthValue),
 *		BYTES (uint8_t[], OCTET STRING), UINT32 (Unsigned32), ENUM
 *		(int32_t, an Integer32 TC), STRING (UTF-8, DpUtf8String),
 *		TIME (canonical text, DateAndTime)
 *	max	octet limit of a STRING or BYTES (the MIB's SIZE), else 0
 *	col	the dpEntry column number
 *	access	the MIB's MAX-ACCESS: RO read-only, RW read-write
 *	model	where the model keeps it: DP a column of table dp,
 *		upserted by an import; SERVER, PACKAGE a column of that
 *		table (the keys); PENDING whether a write of property sql
 *		waits in the outbox
 *	sql	the SQL column (for PENDING: the property written)
 *	import	KEY part of the class key, required and non-empty;
 *		KEEP a null or absent value keeps the stored one; SNMP as
 *		KEEP, and a value written over SNMP wins until ConfigMgr
 *		acknowledges it (the export predates the write); NONE never
 *		imported
 *	encode	VALUE the stored value; FALSE always false(2) (a
 *		request, not a state: RefreshNow reads false, as in WMI)
 *	labels	for ENUM: the function naming the values the MIB
 *		enumerates (an import warns about any other); else NULL
 *
 * N(ID, name, col): an accessible-for-notify column, served
 * by no GET; its values come from the status-event log.
 */
#ifndef DP_COLUMNS_H
#define DP_COLUMNS_H

#define DP_IGNORE(...)

#define DP_COLUMNS(P, D, N) \
	P(BITS_ENABLED, bits_enabled, "BitsEnabled", BOOL, 0,                  \
	    1, RO, DP, bits_enabled, KEEP, VALUE, NULL)                        \
	P(IS_PEER_DP, is_peer_dp, "IsPeerDP", BOOL, 0,                         \
	    2, RO, DP, is_peer_dp, KEEP, VALUE, NULL)                          \
	P(IS_PROTECTED, is_protected, "IsProtected", BOOL, 0,                  \
	    3, RO, DP, is_protected, KEEP, VALUE, NULL)                        \
	P(ISV_DATA, isv_data, "ISVData", BYTES, DP_MAX_ISV_DATA,               \
	    4, RO, DP, isv_data, KEEP, VALUE, NULL)                            \
	P(ISV_DATA_SIZE, isv_data_size, "ISVDataSize", UINT32, 0,              \
	    5, RO, DP, isv_data_size, KEEP, VALUE, NULL)                       \
	P(ISV_STRING, isv_string, "ISVString", STRING, DP_MAX_ISV_STRING,      \
	    6, RW, DP, isv_string, SNMP, VALUE, NULL)                          \
	P(LAST_REFRESH_TIME, last_refresh_time, "LastRefreshTime", TIME, 0,    \
	    7, RO, DP, last_refresh_time, KEEP, VALUE, NULL)                   \
	P(OBJECT_TYPE_ID, object_type_id, "ObjectTypeID", ENUM, 0,             \
	    8, RO, DP, object_type_id, KEEP, VALUE, dp_object_type_name)       \
	P(PACKAGE_ID, package_id, "PackageID", STRING, DP_MAX_PACKAGE_ID,      \
	    9, RO, PACKAGE, package_id, KEY, VALUE, NULL)                      \
	P(PACKAGE_TYPE, package_type, "PackageType", ENUM, 0,                  \
	    10, RO, DP, package_type, KEEP, VALUE, dp_package_type_name)       \
	P(REFRESH_NOW, refresh_now, "RefreshNow", BOOL, 0,                     \
	    11, RW, DP, refresh_now, KEEP, FALSE, NULL)                        \
	P(RESOURCE_TYPE, resource_type, "ResourceType", STRING,                \
	    DP_MAX_RESOURCE_TYPE,                                              \
	    12, RO, DP, resource_type, KEEP, VALUE, NULL)                      \
	P(SECURE_OBJECT_ID, secure_object_id, "SecureObjectID", STRING,        \
	    DP_MAX_SECURE_OBJECT_ID,                                           \
	    13, RO, DP, secure_object_id, KEEP, VALUE, NULL)                   \
	P(SERVER_NAL_PATH, server_nal_path, "ServerNALPath", STRING,           \
	    DP_MAX_NAL_PATH,                                                   \
	    14, RO, SERVER, nal_path, KEY, VALUE, NULL)                        \
	P(SITE_CODE, site_code, "SiteCode", STRING, DP_MAX_SITE_CODE,          \
	    15, RO, SERVER, site_code, KEY, VALUE, NULL)                       \
	P(SITE_NAME, site_name, "SiteName", STRING, DP_MAX_SITE_NAME,          \
	    16, RO, DP, site_name, KEEP, VALUE, NULL)                          \
	P(SOURCE_SITE, source_site, "SourceSite", STRING,                      \
	    DP_MAX_SOURCE_SITE,                                                \
	    17, RO, DP, source_site, KEEP, VALUE, NULL)                        \
	P(STATUS, status, "Status", ENUM, 0,                                   \
	    18, RO, DP, status, KEEP, VALUE, dp_status_name)                   \
	N(PREVIOUS_STATUS, "PreviousStatus", 19)                               \
	N(STATUS_CHANGE_TIME, "StatusChangeTime", 20)                          \
	N(STATUS_EVENT_SEQ, "StatusEventSeq", 21)                              \
	D(REFRESH_PENDING, refresh_pending, "RefreshPending", BOOL, 0,         \
	    22, RO, PENDING, RefreshNow, NONE, VALUE, NULL)                    \
	D(ISV_STRING_PENDING, isv_string_pending, "ISVStringPending", BOOL, 0, \
	    23, RO, PENDING, ISVString, NONE, VALUE, NULL)

/*
 * DP_DIST_COLUMNS(K, P, D, N): dpDistTable, the class
 * SMS_PackageStatusDistPointsSummarizer (distribution health), in
 * dpDistEntry column order.  Its key is SMS_DistributionPoint's, so both
 * tables share the surrogate index and a dpDistTable row of a package on
 * a server has the index of that package's dpTable row there.
 *
 * K(ID, field, name, col): a key property, the one DP_COLUMNS defines
 *	(DP_P_ID, the same member of struct dp_record), served as column
 *	col; a dist row keeps it in the member field.
 * P, D, N: as for DP_COLUMNS, with column numbers of dpDistEntry, model
 *	DIST (a column of table dist) and one more import rule, REQUIRED:
 *	every record of the class needs a value (State: no default could
 *	say how a distribution went).  Kind MSTIME (D only): milliseconds
 *	since the epoch, UTC, kept by the model's triggers, served as a
 *	DateAndTime.
 *
 * DP_DIST_EXTRA(P, S): the rest of the class, served by no dpDistTable
 * column: P a property only this class has, stored with the row (col
 * 0); S(ID) one SMS_DistributionPoint has too (DP_P_ID), which goes to
 * dpPackageTable as from that class.
 */
#define DP_DIST_COLUMNS(K, P, D, N) \
	K(PACKAGE_ID, package_id, "PackageID", 1)                              \
	K(SERVER_NAL_PATH, server_nal_path, "ServerNALPath", 2)                \
	K(SITE_CODE, site_code, "SiteCode", 3)                                 \
	P(STATE, state, "State", ENUM, 0,                                      \
	    4, RO, DIST, state, REQUIRED, VALUE, dp_dist_state_name)           \
	P(SOURCE_VERSION, source_version, "SourceVersion", UINT32, 0,          \
	    5, RO, DIST, source_version, KEEP, VALUE, NULL)                    \
	P(LAST_COPIED, last_copied, "LastCopied", TIME, 0,                     \
	    6, RO, DIST, last_copied, KEEP, VALUE, NULL)                       \
	P(SUMMARY_DATE, summary_date, "SummaryDate", TIME, 0,                  \
	    7, RO, DIST, summary_date, KEEP, VALUE, NULL)                      \
	P(SOURCE_NAL_PATH, source_nal_path, "SourceNALPath", STRING,           \
	    DP_MAX_NAL_PATH,                                                   \
	    8, RO, DIST, source_nal_path, KEEP, VALUE, NULL)                   \
	D(STATE_SINCE, state_since_ms, "StateSince", MSTIME, 0,                \
	    9, RO, DIST, state_since_ms, NONE, VALUE, NULL)                    \
	N(PREVIOUS_STATE, "PreviousState", 10)                                 \
	N(STATE_CHANGE_TIME, "StateChangeTime", 11)                            \
	N(STATE_EVENT_SEQ, "StateEventSeq", 12)

#define DP_DIST_EXTRA(P, S) \
	P(SECURED_TYPE_ID, secured_type_id, "SecuredTypeID", UINT32, 0,        \
	    0, RO, DIST, secured_type_id, KEEP, VALUE, NULL)                   \
	S(PACKAGE_TYPE)                                                        \
	S(SECURE_OBJECT_ID)

#endif
