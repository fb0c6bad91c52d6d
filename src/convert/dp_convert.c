/*
 * dp_convert: WMI values as PowerShell writes them <-> model values <->
 * SMIv2 values.
 *
 * Every parser is strict: a value that could be read two ways, or that
 * PowerShell would not have written, is refused with a reason rather than
 * guessed at, because a misread date or status is worse than a refused
 * import.  Nothing here depends on the locale or on TZ: the daemon and
 * dpctl may run with any environment and must agree.
 */
#include "convert/dp_convert.h"

#include <stdio.h>
#include <string.h>

static const char WHY_NOT_TIME[] = "not a DMTF, ISO 8601 or /Date()/ time";
static const char WHY_NO_VALUE[] = "no value";
static const char WHY_DMTF[] =
    "not a DMTF datetime (yyyymmddHHMMSS.ffffff+UUU)";
static const char WHY_DMTF_WILDCARD[] =
    "DMTF wildcard '*' is only allowed as the offset \"+***\"";
static const char WHY_ISO[] =
    "not an ISO 8601 time (YYYY-MM-DDTHH:MM:SS[.f][Z|+HH:MM])";
static const char WHY_ISO_FRACTION[] =
    "fraction of a second needs 1 to 9 digits";
static const char WHY_ISO_OFFSET[] =
    "malformed UTC offset (want Z, +HH:MM or -HH:MM)";
static const char WHY_ISO_NEGZERO[] =
    "UTC offset -00:00 means an unknown offset (RFC 3339)";
static const char WHY_MSDATE[] = "not a /Date(ms)/ or /Date(ms+hhmm)/ time";
static const char WHY_MSDATE_OVERFLOW[] = "/Date()/ milliseconds overflow";
static const char WHY_YEAR[] = "year out of range 0..9999";
static const char WHY_MONTH[] = "month out of range";
static const char WHY_DAY[] = "day out of range for the month";
static const char WHY_HOUR[] = "hour out of range";
static const char WHY_MINUTE[] = "minute out of range";
static const char WHY_SECOND[] = "second out of range";
static const char WHY_OFFSET[] = "UTC offset out of range";

#define DP_OFFSET_MAX	840		/* +14:00, Line Islands */
#define MS_PER_DAY	INT64_C(86400000)
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in Unix ms. */
#define MS_MIN		INT64_C(-62167219200000)
#define MS_MAX		INT64_C(253402300799999)

static int
fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n decimal digits at s; false if any is not a digit (or is the NUL). */
static bool
digits(const char *s, int n, int *v)
{
	int	 r = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return true;
}

/* Shape only, for spans too long for digits() to add up in an int. */
static bool
all_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
	}
	return true;
}

static bool
is_leap(int y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* The range checks every form shares, so all report alike. */
static int
check_civil(const struct dp_time *t, const char **why)
{
	if (t->year < 0 || t->year > 9999)
		return fail(why, WHY_YEAR);
	if (t->month < 1 || t->month > 12)
		return fail(why, WHY_MONTH);
	if (t->day < 1 || t->day > days_in_month(t->year, t->month))
		return fail(why, WHY_DAY);
	if (t->hour < 0 || t->hour > 23)
		return fail(why, WHY_HOUR);
	if (t->minute < 0 || t->minute > 59)
		return fail(why, WHY_MINUTE);
	if (t->second < 0 || t->second > 60)
		return fail(why, WHY_SECOND);
	if (t->has_offset &&
	    (t->offset_min < -DP_OFFSET_MAX || t->offset_min > DP_OFFSET_MAX))
		return fail(why, WHY_OFFSET);
	return 0;
}

int
dp_time_parse_dmtf(const char *s, struct dp_time *t, const char **why)
{
	struct dp_time	 r;
	int		 off;

	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	/*
	 * DMTF allows '*' in any field to mean "unknown"; WMI only ever
	 * writes it for the offset (the class default "+***"), and a date
	 * with an unknown month has no DateAndTime, so refuse it by name.
	 */
	if (strlen(s) != 25)
		return fail(why, WHY_DMTF);
	if (memchr(s, '*', 21) != NULL)
		return fail(why, WHY_DMTF_WILDCARD);
	memset(&r, 0, sizeof(r));
	if (!digits(s, 4, &r.year) || !digits(s + 4, 2, &r.month) ||
	    !digits(s + 6, 2, &r.day) || !digits(s + 8, 2, &r.hour) ||
	    !digits(s + 10, 2, &r.minute) || !digits(s + 12, 2, &r.second) ||
	    s[14] != '.' || !digits(s + 15, 6, &r.usec) ||
	    (s[21] != '+' && s[21] != '-'))
		return fail(why, WHY_DMTF);
	if (strcmp(s + 21, "+***") == 0) {
		r.has_offset = false;
		r.offset_min = 0;
	} else if (digits(s + 22, 3, &off)) {
		/* "-000" is unambiguous in DMTF (unlike ISO's "-00:00"). */
		r.has_offset = true;
		r.offset_min = s[21] == '-' ? -off : off;
	} else if (memchr(s + 22, '*', 3) != NULL)
		return fail(why, WHY_DMTF_WILDCARD);
	else
		return fail(why, WHY_DMTF);
	if (check_civil(&r, why) == -1)
		return -1;
	*t = r;
	return 0;
}

int
dp_time_parse_iso8601(const char *s, struct dp_time *t, const char **why)
{
	struct dp_time	 r;
	const char	*p;
	int		 n, oh, om;

	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	memset(&r, 0, sizeof(r));
	/* digits() stops at the NUL, so a short string cannot overrun. */
	if (!digits(s, 4, &r.year) || s[4] != '-' ||
	    !digits(s + 5, 2, &r.month) || s[7] != '-' ||
	    !digits(s + 8, 2, &r.day) || s[10] != 'T' ||
	    !digits(s + 11, 2, &r.hour) || s[13] != ':' ||
	    !digits(s + 14, 2, &r.minute) || s[16] != ':' ||
	    !digits(s + 17, 2, &r.second))
		return fail(why, WHY_ISO);
	p = s + 19;
	if (*p == '.') {
		/* .NET writes 7 digits (ticks); keep microseconds, drop the
		 * rest, as DateAndTime only has deci-seconds anyway. */
		p++;
		for (n = 0; is_digit(p[n]); n++) {
			if (n < 6)
				r.usec = r.usec * 10 + (p[n] - '0');
		}
		if (n < 1 || n > 9)
			return fail(why, WHY_ISO_FRACTION);
		for (int i = n; i < 6; i++)
			r.usec *= 10;
		p += n;
	}
	if (*p == '\0') {
		r.has_offset = false;
	} else if (p[0] == 'Z' && p[1] == '\0') {
		r.has_offset = true;
		r.offset_min = 0;
	} else if ((p[0] == '+' || p[0] == '-') && digits(p + 1, 2, &oh) &&
	    p[3] == ':' && digits(p + 4, 2, &om) && p[6] == '\0') {
		if (om > 59)
			return fail(why, WHY_OFFSET);
		if (p[0] == '-' && oh == 0 && om == 0)
			return fail(why, WHY_ISO_NEGZERO);
		r.has_offset = true;
		r.offset_min = (p[0] == '-' ? -1 : 1) * (oh * 60 + om);
	} else
		return fail(why, WHY_ISO_OFFSET);
	if (check_civil(&r, why) == -1)
		return -1;
	*t = r;
	return 0;
}

/* Howard Hinnant's civil_from_days: proleptic Gregorian, any era. */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int
dp_time_from_unix_ms(int64_t ms, bool has_offset, int offset_min,
    struct dp_time *t)
{
	struct dp_time	 r;
	int64_t		 local, days, rem;

	if (has_offset &&
	    (offset_min < -DP_OFFSET_MAX || offset_min > DP_OFFSET_MAX))
		return -1;
	if (!has_offset)
		offset_min = 0;
	/* Bound ms before adding the offset so that the sum cannot
	 * overflow; the local time is then bounded exactly. */
	if (ms < MS_MIN - MS_PER_DAY || ms > MS_MAX + MS_PER_DAY)
		return -1;
	local = ms + (int64_t)offset_min * 60000;
	if (local < MS_MIN || local > MS_MAX)
		return -1;
	/* Floor division: -1 ms is 1969-12-31T23:59:59.999. */
	days = local / MS_PER_DAY;
	rem = local % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	memset(&r, 0, sizeof(r));
	civil_from_days(days, &r.year, &r.month, &r.day);
	r.hour = (int)(rem / 3600000);
	r.minute = (int)(rem / 60000 % 60);
	r.second = (int)(rem / 1000 % 60);
	r.usec = (int)(rem % 1000) * 1000;
	r.has_offset = has_offset;
	r.offset_min = offset_min;
	*t = r;
	return 0;
}

int
dp_time_parse_msdate(const char *s, struct dp_time *t, const char **why)
{
	struct dp_time	 r;
	const char	*p;
	uint64_t	 mag = 0;
	int64_t		 ms;
	bool		 neg = false;
	int		 n, oh, om, off = 0;

	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	if (strncmp(s, "/Date(", 6) != 0)
		return fail(why, WHY_MSDATE);
	p = s + 6;
	if (*p == '-') {
		neg = true;
		p++;
	}
	for (n = 0; is_digit(p[n]); n++) {
		/* Magnitude up to 2^63, so that INT64_MIN still parses
		 * (and is then refused for its year, not as garbage). */
		if (mag > (UINT64_C(1) << 63) / 10 ||
		    mag * 10 + (uint64_t)(p[n] - '0') > (UINT64_C(1) << 63))
			return fail(why, WHY_MSDATE_OVERFLOW);
		mag = mag * 10 + (uint64_t)(p[n] - '0');
	}
	if (n == 0)
		return fail(why, WHY_MSDATE);
	if (!neg && mag > (uint64_t)INT64_MAX)
		return fail(why, WHY_MSDATE_OVERFLOW);
	p += n;
	if (neg)
		ms = mag == 0 ? 0 : -(int64_t)(mag - 1) - 1;
	else
		ms = (int64_t)mag;
	if (*p == '+' || *p == '-') {
		if (!digits(p + 1, 2, &oh) || !digits(p + 3, 2, &om))
			return fail(why, WHY_MSDATE);
		if (om > 59)
			return fail(why, WHY_OFFSET);
		off = (*p == '-' ? -1 : 1) * (oh * 60 + om);
		if (off < -DP_OFFSET_MAX || off > DP_OFFSET_MAX)
			return fail(why, WHY_OFFSET);
		p += 5;
	}
	if (strcmp(p, ")/") != 0)
		return fail(why, WHY_MSDATE);
	/* The ms are UTC whatever the suffix says, so the offset is always
	 * known: 0 without a suffix. */
	if (dp_time_from_unix_ms(ms, true, off, &r) == -1)
		return fail(why, WHY_YEAR);
	*t = r;
	return 0;
}

int
dp_time_parse(const char *s, struct dp_time *t, const char **why)
{
	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	if (s[0] == '/')
		return dp_time_parse_msdate(s, t, why);
	/*
	 * "YYYY-MM-DDT" rather than just "YYYY-", so that "2024-05-01
	 * 10:00:00" (a culture format) is named as such.
	 */
	if (all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) &&
	    s[7] == '-' && all_digits(s + 8, 2) && s[10] == 'T')
		return dp_time_parse_iso8601(s, t, why);
	if (all_digits(s, 14) && s[14] == '.')
		return dp_time_parse_dmtf(s, t, why);
	return fail(why, WHY_NOT_TIME);
}

void
dp_time_format(const struct dp_time *t, char out[DP_TIME_TEXT_MAX])
{
	int	 n, off;

	n = snprintf(out, DP_TIME_TEXT_MAX,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%06d", t->year, t->month, t->day,
	    t->hour, t->minute, t->second, t->usec);
	/* Room for "+HH:MM" and the NUL only if the fields were in range;
	 * a struct no parser made is cut short, never overrun. */
	if (!t->has_offset || n < 0 || n > DP_TIME_TEXT_MAX - 7)
		return;
	off = t->offset_min < 0 ? -t->offset_min : t->offset_min;
	if (off > DP_OFFSET_MAX)
		off = DP_OFFSET_MAX;
	out[n++] = t->offset_min < 0 ? '-' : '+';
	out[n++] = (char)('0' + off / 600);
	out[n++] = (char)('0' + off / 60 % 10);
	out[n++] = ':';
	out[n++] = (char)('0' + off % 60 / 10);
	out[n++] = (char)('0' + off % 10);
	out[n] = '\0';
}

/* Howard Hinnant's days_from_civil, the inverse of civil_from_days. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t	 yy = m <= 2 ? y - 1 : y;
	int64_t	 era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t	 yoe = yy - era * 400;
	int64_t	 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t	 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The same instant in UTC: t's civil time less its offset. */
static int
to_utc(const struct dp_time *t, struct dp_time *u)
{
	int64_t	 min, days;

	min = days_from_civil(t->year, t->month, t->day) * 1440 +
	    t->hour * 60 + t->minute - t->offset_min;
	days = min >= 0 ? min / 1440 : -((-min + 1439) / 1440);
	min -= days * 1440;
	*u = *t;
	civil_from_days(days, &u->year, &u->month, &u->day);
	u->hour = (int)(min / 60);
	u->minute = (int)(min % 60);
	u->offset_min = 0;
	return u->year >= 0 && u->year <= 9999 ? 0 : -1;
}

size_t
dp_time_to_dateandtime(const struct dp_time *t, uint8_t out[11])
{
	struct dp_time	 utc;
	int		 off;

	/*
	 * RFC 2579 has hours from UTC 0..13, but real offsets reach 14:00
	 * (Line Islands, and DMTF's +840): such a time is served as the
	 * same instant in UTC ("+0:0"); the model keeps the text as it
	 * came.  At the very ends of years 0 and 9999, where UTC would
	 * leave the range, the local time without offset (8 octets).
	 */
	if (t->has_offset && (t->offset_min > 13 * 60 + 59 ||
	    t->offset_min < -(13 * 60 + 59))) {
		if (to_utc(t, &utc) == 0)
			t = &utc;
		else {
			utc = *t;
			utc.has_offset = false;
			t = &utc;
		}
	}
	out[0] = (uint8_t)((t->year >> 8) & 0xff);
	out[1] = (uint8_t)(t->year & 0xff);
	out[2] = (uint8_t)t->month;
	out[3] = (uint8_t)t->day;
	out[4] = (uint8_t)t->hour;
	out[5] = (uint8_t)t->minute;
	out[6] = (uint8_t)t->second;
	out[7] = (uint8_t)(t->usec / 100000);
	if (!t->has_offset)
		return 8;
	/* UTC itself is written "+0:0", the form RFC 2579's examples use. */
	off = t->offset_min < 0 ? -t->offset_min : t->offset_min;
	out[8] = t->offset_min < 0 ? '-' : '+';
	out[9] = (uint8_t)(off / 60);
	out[10] = (uint8_t)(off % 60);
	return 11;
}

/* ASCII only: strcasecmp() would follow LC_CTYPE. */
static bool
ascii_caseeq(const char *s, const char *lower)
{
	for (; *lower != '\0'; s++, lower++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *lower)
			return false;
	}
	return *s == '\0';
}

int
dp_bool_parse(const char *s, bool *v, const char **why)
{
	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	if (ascii_caseeq(s, "true") || strcmp(s, "1") == 0) {
		*v = true;
		return 0;
	}
	if (ascii_caseeq(s, "false") || strcmp(s, "0") == 0) {
		*v = false;
		return 0;
	}
	return fail(why, "not a boolean (True, False, 1 or 0)");
}

/*
 * The magnitude of up to 10 decimal digits; strtoul() would take spaces,
 * signs and "0x", and wrap negative numbers silently.
 */
static int
parse_magnitude(const char *s, uint64_t *v, const char **why)
{
	uint64_t	 r = 0;
	int		 n;

	for (n = 0; s[n] != '\0'; n++) {
		if (!is_digit(s[n]))
			return fail(why, "not a decimal number");
		if (n == 10)
			return fail(why, "too many digits");
		r = r * 10 + (uint64_t)(s[n] - '0');
	}
	if (n == 0)
		return fail(why, "empty number");
	*v = r;
	return 0;
}

int
dp_uint32_parse(const char *s, uint32_t *v, const char **why)
{
	uint64_t	 r;

	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	if (parse_magnitude(s, &r, why) == -1)
		return -1;
	if (r > UINT32_MAX)
		return fail(why, "number out of range 0..4294967295");
	*v = (uint32_t)r;
	return 0;
}

int
dp_int32_parse(const char *s, int32_t *v, const char **why)
{
	static const char range[] =
	    "number out of range -2147483648..2147483647";
	uint64_t	 r;
	bool		 neg = false;

	if (s == NULL)
		return fail(why, WHY_NO_VALUE);
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (parse_magnitude(s, &r, why) == -1)
		return -1;
	/* "-0" is read as 0: it names one value, nothing is guessed. */
	if (neg) {
		if (r > (uint64_t)INT32_MAX + 1)
			return fail(why, range);
		*v = r == 0 ? 0 : (int32_t)(-(int64_t)r);
	} else {
		if (r > INT32_MAX)
			return fail(why, range);
		*v = (int32_t)r;
	}
	return 0;
}

bool
dp_utf8_valid(const void *s, size_t n)
{
	const uint8_t	*p = s;
	size_t		 i = 0, len;
	uint8_t		 lo, hi;

	while (i < n) {
		uint8_t c = p[i];

		/* The strings end up in C strings: an inner NUL would
		 * silently cut them. */
		if (c == 0x00)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		/* RFC 3629 table 4: the second byte's range depends on the
		 * lead, which is what rules out overlongs, surrogates and
		 * code points above U+10FFFF. */
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return false;
		if (n - i < len)
			return false;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++) {
			if (p[i + k] < 0x80 || p[i + k] > 0xbf)
				return false;
		}
		i += len;
	}
	return true;
}

size_t
dp_escape(const char *s, size_t n, bool utf8, char *buf, size_t buflen)
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, o = 0;

	for (i = 0; i < n && o + 5 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return o;
}

size_t
dp_nal_server_name(const char *nal, char *out, size_t outlen)
{
	const char	*host = NULL, *end;
	size_t		 len = 0;

	if (outlen == 0)
		return 0;
	/* The last "\\" starts the server part; the "Display=" part
	 * before it may name another host. */
	for (const char *p = nal; p[0] != '\0' && p[1] != '\0'; p++) {
		if (p[0] == '\\' && p[1] == '\\')
			host = p + 2;
	}
	if (host != NULL) {
		end = strchr(host, '\\');
		len = end != NULL ? (size_t)(end - host) : strlen(host);
	}
	if (host == NULL || len == 0) {
		host = nal;
		len = strlen(nal);
	}
	if (len > outlen - 1)
		len = outlen - 1;
	memcpy(out, host, len);
	out[len] = '\0';
	return len;
}

enum dp_dist_bucket
dp_dist_bucket(int64_t state)
{
	switch (state) {
	case DP_DIST_INSTALLED:
		return DP_DB_INSTALLED;
	case DP_DIST_INSTALL_PENDING:
	case DP_DIST_REMOVAL_PENDING:
	case DP_DIST_CONTENT_UPDATING:
		return DP_DB_IN_PROGRESS;
	case DP_DIST_INSTALL_RETRYING:
	case DP_DIST_REMOVAL_RETRYING:
		return DP_DB_RETRYING;
	case DP_DIST_INSTALL_FAILED:
	case DP_DIST_REMOVAL_FAILED:
		return DP_DB_FAILED;
	default:
		return DP_DB_OTHER;
	}
}

const char *
dp_dist_state_name(int64_t v)
{
	static const char *const names[] = {
		"installed", "installPending", "installRetrying",
		"installFailed", "removalPending", "removalRetrying",
		"removalFailed", "contentUpdating", "contentMonitoring"
	};

	if (v < 0 || v >= (int64_t)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[v];
}

const char *
dp_dist_state_label(int64_t v)
{
	return v == DP_DIST_ABSENT ? "absent" : dp_dist_state_name(v);
}

const char *
dp_dist_bucket_name(enum dp_dist_bucket b)
{
	switch (b) {
	case DP_DB_INSTALLED:
		return "installed";
	case DP_DB_IN_PROGRESS:
		return "inprogress";
	case DP_DB_RETRYING:
		return "retrying";
	case DP_DB_FAILED:
		return "failed";
	case DP_DB_OTHER:
	case DP_DB_COUNT:
		break;
	}
	return "other";
}

const char *
dp_status_name(int64_t v)
{
	switch (v) {
	case DP_STATUS_NONE:
		return "none";
	case DP_STATUS_UPDATED:
		return "updated";
	case DP_STATUS_ADDED:
		return "added";
	case DP_STATUS_DELETED:
		return "deleted";
	default:
		return NULL;
	}
}

const char *
dp_package_type_name(int64_t v)
{
	switch (v) {
	case 0:
		return "regular";
	case 3:
		return "driver";
	case 4:
		return "taskSequence";
	case 5:
		return "softwareUpdate";
	case 6:
		return "deviceSetting";
	case 7:
		return "virtualApplication";
	case 8:
		return "content";
	case 257:
		return "image";
	case 258:
		return "bootImage";
	case 259:
		return "osUpgrade";
	default:
		return NULL;
	}
}

const char *
dp_object_type_name(int64_t v)
{
	switch (v) {
	case 2:
		return "package";
	case 14:
		return "osInstallPackage";
	case 18:
		return "imagePackage";
	case 19:
		return "bootImagePackage";
	case 20:
		return "taskSequencePackage";
	case 21:
		return "deviceSettingPackage";
	case 23:
		return "driverPackage";
	case 24:
		return "softwareUpdatesPackage";
	case 31:
		return "application";
	default:
		return NULL;
	}
}
