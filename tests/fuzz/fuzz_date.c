/*
 * fuzz_date: every date form the converter reads (DMTF CIM_DATETIME,
 * ISO 8601, "/Date(ms)/" and "/Date(ms+hhmm)/"; culture formats must be
 * refused), and the other scalar parsers of dp_convert, on arbitrary
 * NUL-terminated text.  Properties:
 *
 *  - dp_time_parse() succeeds exactly when one of the three form parsers
 *    does, with the same result; a failure always says why;
 *  - a parsed time is in range (RFC 2579 DateAndTime fields, the day
 *    valid for its month, offsets within +-14:00);
 *  - the canonical text round-trips: dp_time_format() then
 *    dp_time_parse() gives the same time back;
 *  - a DMTF time formats back to the input; a /Date()/ time converts
 *    back to its milliseconds (checked with an independent calendar);
 *  - DateAndTime octets are in RFC 2579's ranges;
 *  - the numbers and Booleans print back to what was read.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/dp_convert.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "property violated: %s: ", #cond);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

static bool
same_time(const struct dp_time *a, const struct dp_time *b)
{
	return a->year == b->year && a->month == b->month &&
	    a->day == b->day && a->hour == b->hour && a->minute == b->minute &&
	    a->second == b->second && a->usec == b->usec &&
	    a->has_offset == b->has_offset &&
	    (!a->has_offset || a->offset_min == b->offset_min);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, the slow way:
 * independent of the converter's civil_from_days(). */
static int64_t
days_from_civil_slow(int y, int m, int d)
{
	static const int before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334
	};
	int64_t	 yy = (int64_t)y - 1, days;

	/* Days from 0001-01-01 to y-01-01, then the year's part. */
	days = yy * 365 + yy / 4 - yy / 100 + yy / 400;
	if (y <= 0)		/* year 0 is a leap year; before it none */
		days = -366;
	days += before[m - 1] + d - 1;
	if (m > 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		days++;
	return days - 719162;	/* 0001-01-01 .. 1970-01-01 */
}

static void
check_range(const struct dp_time *t, const char *s)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	uint8_t	 dt[11];
	size_t	 n;

	FZ_CHECK(t->year >= 0 && t->year <= 9999, "year %d of \"%s\"",
	    t->year, s);
	FZ_CHECK(t->month >= 1 && t->month <= 12, "month of \"%s\"", s);
	FZ_CHECK(t->day >= 1 && t->day <= mdays[t->month - 1], "day of "
	    "\"%s\"", s);
	FZ_CHECK(t->month != 2 || t->day < 29 || (t->year % 4 == 0 &&
	    (t->year % 100 != 0 || t->year % 400 == 0)), "Feb 29 of \"%s\"",
	    s);
	FZ_CHECK(t->hour >= 0 && t->hour <= 23, "hour of \"%s\"", s);
	FZ_CHECK(t->minute >= 0 && t->minute <= 59, "minute of \"%s\"", s);
	FZ_CHECK(t->second >= 0 && t->second <= 60, "second of \"%s\"", s);
	FZ_CHECK(t->usec >= 0 && t->usec <= 999999, "usec of \"%s\"", s);
	FZ_CHECK(!t->has_offset || (t->offset_min >= -840 &&
	    t->offset_min <= 840), "offset of \"%s\"", s);

	n = dp_time_to_dateandtime(t, dt);
	/* RFC 2579 says hours from UTC 0..13: a time whose offset is
	 * beyond 13:59 (+14:00 is real) is served as the same instant in
	 * UTC, or without offset at the ends of the year range. */
	if (t->has_offset && (t->offset_min > 839 || t->offset_min < -839)) {
		FZ_CHECK(n == 8 || (n == 11 && dt[8] == '+' && dt[9] == 0 &&
		    dt[10] == 0), "DateAndTime in UTC of \"%s\"", s);
		FZ_CHECK(dt[5] == t->minute && dt[6] == t->second &&
		    dt[7] <= 9, "DateAndTime of \"%s\"", s);
		return;
	}
	FZ_CHECK(n == (t->has_offset ? 11u : 8u), "DateAndTime length");
	FZ_CHECK(dt[0] * 256 + dt[1] == t->year && dt[2] == t->month &&
	    dt[3] == t->day && dt[4] == t->hour && dt[5] == t->minute &&
	    dt[6] == t->second && dt[7] <= 9, "DateAndTime of \"%s\"", s);
	if (n == 11)
		FZ_CHECK((dt[8] == '+' || dt[8] == '-') && dt[9] <= 13 &&
		    dt[10] <= 59, "DateAndTime offset of \"%s\"", s);
}

static void
check_time(const char *s)
{
	struct dp_time	 t, u, one;
	const char	*why = NULL, *w2;
	char		 text[DP_TIME_TEXT_MAX], back[64];
	int		 rc, ok = 0;

	rc = dp_time_parse(s, &t, &why);
	FZ_CHECK(rc == 0 || (rc == -1 && why != NULL), "rc %d", rc);

	/* The dispatcher and the form parsers agree. */
	if (dp_time_parse_dmtf(s, &one, &w2) == 0) {
		ok++;
		FZ_CHECK(rc == 0 && same_time(&t, &one), "DMTF \"%s\"", s);
		/* It prints back to the input ("-000" reads as +0). */
		snprintf(back, sizeof(back), "%04d%02d%02d%02d%02d%02d.%06d",
		    one.year, one.month, one.day, one.hour, one.minute,
		    one.second, one.usec);
		if (!one.has_offset)
			strcat(back, "+***");
		else
			snprintf(back + 21, sizeof(back) - 21, "%c%03d",
			    one.offset_min < 0 || s[21] == '-' ? '-' : '+',
			    abs(one.offset_min));
		FZ_CHECK(strcmp(back, s) == 0, "DMTF \"%s\" prints as \"%s\"",
		    s, back);
	}
	if (dp_time_parse_iso8601(s, &one, &w2) == 0) {
		ok++;
		FZ_CHECK(rc == 0 && same_time(&t, &one), "ISO \"%s\"", s);
	}
	if (dp_time_parse_msdate(s, &one, &w2) == 0) {
		int64_t	 ms, local;

		ok++;
		FZ_CHECK(rc == 0 && same_time(&t, &one), "/Date/ \"%s\"", s);
		FZ_CHECK(one.has_offset, "/Date/ without offset");
		ms = strtoll(s + 6, NULL, 10);
		local = days_from_civil_slow(one.year, one.month, one.day) *
		    86400000 + one.hour * INT64_C(3600000) +
		    one.minute * 60000 + one.second * 1000 + one.usec / 1000;
		FZ_CHECK(local - one.offset_min * INT64_C(60000) == ms,
		    "\"%s\" is %" PRId64 " ms, read back as %" PRId64, s, ms,
		    local - one.offset_min * INT64_C(60000));
		FZ_CHECK(one.second <= 59, "/Date/ leap second");
	}
	FZ_CHECK(ok <= 1, "\"%s\" read as %d forms", s, ok);
	FZ_CHECK((rc == 0) == (ok == 1), "dispatcher rc %d, forms %d", rc, ok);
	if (rc != 0)
		return;

	check_range(&t, s);
	/* The canonical text reads back to the same time. */
	dp_time_format(&t, text);
	FZ_CHECK(strlen(text) == (t.has_offset ? 32u : 26u), "canonical "
	    "\"%s\"", text);
	FZ_CHECK(dp_time_parse(text, &u, &why) == 0 && same_time(&t, &u),
	    "\"%s\" -> \"%s\" does not read back", s, text);
}

static void
check_numbers(const char *s)
{
	char		 back[32];
	uint32_t	 u;
	int32_t		 i;
	bool		 b;
	const char	*why = NULL;

	if (dp_uint32_parse(s, &u, &why) == 0) {
		snprintf(back, sizeof(back), "%" PRIu32, u);
		/* Leading zeros are allowed; the value is what they say. */
		FZ_CHECK(strtoull(s, NULL, 10) == u && strlen(s) <= 10,
		    "\"%s\" read as %s", s, back);
	} else
		FZ_CHECK(why != NULL, "uint32 without reason");
	why = NULL;
	if (dp_int32_parse(s, &i, &why) == 0) {
		FZ_CHECK(strtoll(s, NULL, 10) == i, "\"%s\" read as %" PRId32,
		    s, i);
		FZ_CHECK(s[0] == '-' || (s[0] >= '0' && s[0] <= '9'),
		    "\"%s\" has a sign or space", s);
	} else
		FZ_CHECK(why != NULL, "int32 without reason");
	why = NULL;
	if (dp_bool_parse(s, &b, &why) == 0)
		FZ_CHECK(strlen(s) <= 5, "\"%s\" read as a Boolean", s);
	else
		FZ_CHECK(why != NULL, "bool without reason");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s, out[300];
	size_t	 n;

	if (size > 4096)
		return 0;
	/* The parsers take C strings: a copy that ends where the input
	 * does, so that ASan sees any read past the NUL. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_time(s);
	check_numbers(s);
	n = dp_nal_server_name(s, out, sizeof(out));
	FZ_CHECK(n < sizeof(out) && strlen(out) == n, "server name");
	free(s);
	return 0;
}
