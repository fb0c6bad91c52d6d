/*
 * dp_convert: WMI values as PowerShell writes them <-> the values the
 * model stores <-> SMIv2 values.  No SQLite, no Net-SNMP.
 *
 * Every parser returns 0 on success and -1 on failure; on failure *why (if
 * not NULL) points to a static, human-readable reason that callers put
 * after the file, record and field they name.
 */
#ifndef DP_CONVERT_H
#define DP_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A civil date and time with microseconds and an optional UTC offset.
 * has_offset false means "local time of an unknown zone" (DMTF "+***",
 * ISO 8601 without designator): it maps to the 8-octet DateAndTime.
 */
struct dp_time {
	int	year;		/* 0..9999 */
	int	month;		/* 1..12 */
	int	day;		/* 1..31, checked against the month */
	int	hour;		/* 0..23 */
	int	minute;		/* 0..59 */
	int	second;		/* 0..60 (leap second) */
	int	usec;		/* 0..999999 */
	bool	has_offset;
	int	offset_min;	/* minutes east of UTC, -840..840 */
};

/* Longest canonical text, "YYYY-MM-DDTHH:MM:SS.ffffff+HH:MM" and a NUL. */
#define DP_TIME_TEXT_MAX 33

/* DMTF datetime "yyyymmddHHMMSS.ffffff+UUU" (UUU: offset in minutes, or
 * "***" for none), as written by Get-WmiObject and by Export-Csv. */
int	dp_time_parse_dmtf(const char *s, struct dp_time *t, const char **why);

/* ISO 8601 extended, "YYYY-MM-DDTHH:MM:SS[.f{1,9}][Z|+HH:MM|-HH:MM]", as
 * written by PowerShell 7 and by .ToString('o').  Fractions beyond
 * microseconds are truncated. */
int	dp_time_parse_iso8601(const char *s, struct dp_time *t,
	    const char **why);

/* Windows PowerShell 5.1's "/Date(ms)/" or "/Date(ms+hhmm)/" (JSON's
 * "\/Date(...)\/" after unescaping): milliseconds since the Unix epoch in
 * UTC; an optional offset gives the local time to show. */
int	dp_time_parse_msdate(const char *s, struct dp_time *t,
	    const char **why);

/* Any of the three forms above.  Anything else (notably the culture
 * formats "5/1/2024 10:00:00 AM" or "01.05.2024 10:00:00" that Export-Csv
 * writes by default) is refused, never guessed. */
int	dp_time_parse(const char *s, struct dp_time *t, const char **why);

/* From milliseconds since the epoch (UTC), shown with the given offset. */
int	dp_time_from_unix_ms(int64_t ms, bool has_offset, int offset_min,
	    struct dp_time *t);

/* Canonical text stored in the model: ISO 8601 with six fractional digits
 * and "+HH:MM" / "-HH:MM" when the offset is known, e.g.
 * "2024-05-01T10:00:00.000000+02:00" or "1990-01-01T00:00:00.000000". */
void	dp_time_format(const struct dp_time *t, char out[DP_TIME_TEXT_MAX]);

/* SNMPv2-TC DateAndTime: 11 octets with the offset, 8 without; an offset
 * beyond RFC 2579's 13:59 (+14:00 exists) is served as the same instant
 * in UTC.  Returns the length written to out. */
size_t	dp_time_to_dateandtime(const struct dp_time *t, uint8_t out[11]);

/* Booleans: "True"/"False" in any case (Export-Csv), "1"/"0". */
int	dp_bool_parse(const char *s, bool *v, const char **why);

/* Unsigned 32-bit integer in decimal (CSV); no sign, no spaces. */
int	dp_uint32_parse(const char *s, uint32_t *v, const char **why);

/* Signed decimal that must fit Integer32 (the MIB's enumerations). */
int	dp_int32_parse(const char *s, int32_t *v, const char **why);

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, <= U+10FFFF. */
bool	dp_utf8_valid(const void *s, size_t n);
/* s[0..n) into buf with control octets, and every non-ASCII octet unless
 * utf8, written as \xNN, for a log or a terminal; stops when buf is full
 * (4 octets of buf per octet of s, plus 5, always suffice).  The length
 * written. */
size_t	dp_escape(const char *s, size_t n, bool utf8, char *buf,
	    size_t buflen);

/*
 * The host of a NAL path, e.g. for
 *   ["Display=\\DP01.contoso.com\"]MSWNET:["SMS_SITE=PS1"]\\DP01.contoso.com\
 * "DP01.contoso.com": the text after the last "\\" up to the next "\".
 * Falls back to the whole path when it has no such part.  Returns the
 * length written (truncated to outlen - 1).
 */
size_t	dp_nal_server_name(const char *nal, char *out, size_t outlen);

/* Names of the known enumeration values (the MIB's labels), or NULL for a
 * value ConfigMgr may have added since. */
const char *dp_status_name(int64_t v);
const char *dp_package_type_name(int64_t v);
const char *dp_object_type_name(int64_t v);

/* Status buckets used by every count: none, updated, added, deleted and
 * other (any value ConfigMgr may add), so that buckets add up to rows. */
enum dp_bucket {
	DP_B_NONE,
	DP_B_UPDATED,
	DP_B_ADDED,
	DP_B_DELETED,
	DP_B_OTHER,
	DP_B_COUNT
};

#define DP_STATUS_NONE		0
#define DP_STATUS_UPDATED	1
#define DP_STATUS_ADDED		2
#define DP_STATUS_DELETED	3

/*
 * SMS_PackageStatusDistPointsSummarizer.State, and the buckets every
 * distribution count uses: installed (0), in progress (1, 4, 7),
 * retrying (2, 5), failed (3, 6) and other (8, and any value ConfigMgr
 * may add), so that buckets add up to rows.  DP_DIST_ABSENT is no State:
 * in a dpDistStateChange it is the previous State of a row that first
 * appeared, or the new State of one removed.
 */
#define DP_DIST_ABSENT			(-1)
#define DP_DIST_INSTALLED		0
#define DP_DIST_INSTALL_PENDING		1
#define DP_DIST_INSTALL_RETRYING	2
#define DP_DIST_INSTALL_FAILED		3
#define DP_DIST_REMOVAL_PENDING		4
#define DP_DIST_REMOVAL_RETRYING	5
#define DP_DIST_REMOVAL_FAILED		6
#define DP_DIST_CONTENT_UPDATING	7
#define DP_DIST_CONTENT_MONITORING	8

enum dp_dist_bucket {
	DP_DB_INSTALLED,
	DP_DB_IN_PROGRESS,
	DP_DB_RETRYING,
	DP_DB_FAILED,
	DP_DB_OTHER,
	DP_DB_COUNT
};

enum dp_dist_bucket dp_dist_bucket(int64_t state);
/* The MIB's label (DpDistStateCode) of a State, NULL for another value;
 * dp_dist_state_label() also names DP_DIST_ABSENT. */
const char *dp_dist_state_name(int64_t v);
const char *dp_dist_state_label(int64_t v);
/* "installed", "inprogress", "retrying", "failed", "other". */
const char *dp_dist_bucket_name(enum dp_dist_bucket b);

#endif
