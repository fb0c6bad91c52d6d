/*
 * Unit tests for dp_convert.  Every expected value is a constant checked
 * independently of the code under test (date -u -d @SECONDS, Python's
 * datetime, RFC 2579 and RFC 3629 by hand), so the tests can fail.
 */
#include "convert/dp_convert.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* The reasons the converters give; asserted exactly. */
#define WHY_NOT_TIME	"not a DMTF, ISO 8601 or /Date()/ time"
#define WHY_DMTF	"not a DMTF datetime (yyyymmddHHMMSS.ffffff+UUU)"
#define WHY_WILDCARD \
	"DMTF wildcard '*' is only allowed as the offset \"+***\""
#define WHY_ISO	"not an ISO 8601 time (YYYY-MM-DDTHH:MM:SS[.f][Z|+HH:MM])"
#define WHY_FRACTION	"fraction of a second needs 1 to 9 digits"
#define WHY_ISO_OFFSET	"malformed UTC offset (want Z, +HH:MM or -HH:MM)"
#define WHY_NEGZERO	"UTC offset -00:00 means an unknown offset (RFC 3339)"
#define WHY_MSDATE	"not a /Date(ms)/ or /Date(ms+hhmm)/ time"
#define WHY_OVERFLOW	"/Date()/ milliseconds overflow"
#define WHY_YEAR	"year out of range 0..9999"
#define WHY_MONTH	"month out of range"
#define WHY_DAY		"day out of range for the month"
#define WHY_HOUR	"hour out of range"
#define WHY_MINUTE	"minute out of range"
#define WHY_SECOND	"second out of range"
#define WHY_OFFSET	"UTC offset out of range"
#define WHY_BOOL	"not a boolean (True, False, 1 or 0)"
#define WHY_NOT_NUM	"not a decimal number"
#define WHY_DIGITS	"too many digits"
#define WHY_EMPTY	"empty number"
#define WHY_U32_RANGE	"number out of range 0..4294967295"
#define WHY_I32_RANGE	"number out of range -2147483648..2147483647"

enum form { F_DMTF, F_ISO, F_MS };

typedef int (*parse_fn)(const char *, struct dp_time *, const char **);

static parse_fn
parser(enum form f)
{
	switch (f) {
	case F_DMTF:
		return dp_time_parse_dmtf;
	case F_ISO:
		return dp_time_parse_iso8601;
	default:
		return dp_time_parse_msdate;
	}
}

#define T(y, mo, d, h, mi, s, us, has, off) \
	{ (y), (mo), (d), (h), (mi), (s), (us), (has), (off) }

struct good_time {
	enum form	 form;
	const char	*in;
	struct dp_time	 want;
	const char	*text;		/* canonical form */
	size_t		 octlen;
	uint8_t		 oct[11];	/* DateAndTime */
};

static const struct good_time good_times[] = {
	/* DMTF: the offset is in minutes. */
	{ F_DMTF, "20240501100000.000000+060",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 60),
	    "2024-05-01T10:00:00.000000+01:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 1, 0 } },
	{ F_DMTF, "20240501100000.123456-300",
	    T(2024, 5, 1, 10, 0, 0, 123456, true, -300),
	    "2024-05-01T10:00:00.123456-05:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 1, '-', 5, 0 } },
	{ F_DMTF, "20240501100000.000000+330",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 330),
	    "2024-05-01T10:00:00.000000+05:30",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 5, 30 } },
	{ F_DMTF, "20240501100000.000000+000",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 0),
	    "2024-05-01T10:00:00.000000+00:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 0, 0 } },
	/* "-000" names UTC too, and DateAndTime writes UTC with '+'. */
	{ F_DMTF, "20240501100000.000000-000",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 0),
	    "2024-05-01T10:00:00.000000+00:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 0, 0 } },
	{ F_DMTF, "20240501100000.000000-030",
	    T(2024, 5, 1, 10, 0, 0, 0, true, -30),
	    "2024-05-01T10:00:00.000000-00:30",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '-', 0, 30 } },
	/* Offsets past RFC 2579's 13 hours: the same instant in UTC,
	 * across a day, a month and a year (issue 18, item 7). */
	{ F_DMTF, "20240501100000.000000+840",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 840),
	    "2024-05-01T10:00:00.000000+14:00",
	    11, { 0x07, 0xe8, 4, 30, 20, 0, 0, 0, '+', 0, 0 } },
	{ F_DMTF, "20240501100000.000000-840",
	    T(2024, 5, 1, 10, 0, 0, 0, true, -840),
	    "2024-05-01T10:00:00.000000-14:00",
	    11, { 0x07, 0xe8, 5, 2, 0, 0, 0, 0, '+', 0, 0 } },
	{ F_DMTF, "20250101053000.100000+840",
	    T(2025, 1, 1, 5, 30, 0, 100000, true, 840),
	    "2025-01-01T05:30:00.100000+14:00",
	    11, { 0x07, 0xe8, 12, 31, 15, 30, 0, 1, '+', 0, 0 } },
	{ F_DMTF, "20240229235960.000000-840",
	    T(2024, 2, 29, 23, 59, 60, 0, true, -840),
	    "2024-02-29T23:59:60.000000-14:00",
	    11, { 0x07, 0xe8, 3, 1, 13, 59, 60, 0, '+', 0, 0 } },
	{ F_DMTF, "20240501100000.000000+839",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 839),
	    "2024-05-01T10:00:00.000000+13:59",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 13, 59 } },
	/* The class default: no offset, so the 8-octet form. */
	{ F_DMTF, "19900101000000.000000+***",
	    T(1990, 1, 1, 0, 0, 0, 0, false, 0),
	    "1990-01-01T00:00:00.000000",
	    8, { 0x07, 0xc6, 1, 1, 0, 0, 0, 0 } },
	{ F_DMTF, "20240229235959.999999+***",
	    T(2024, 2, 29, 23, 59, 59, 999999, false, 0),
	    "2024-02-29T23:59:59.999999",
	    8, { 0x07, 0xe8, 2, 29, 23, 59, 59, 9 } },
	{ F_DMTF, "20000229120000.000000+000",
	    T(2000, 2, 29, 12, 0, 0, 0, true, 0),
	    "2000-02-29T12:00:00.000000+00:00",
	    11, { 0x07, 0xd0, 2, 29, 12, 0, 0, 0, '+', 0, 0 } },
	{ F_DMTF, "20161231235960.500000+000",
	    T(2016, 12, 31, 23, 59, 60, 500000, true, 0),
	    "2016-12-31T23:59:60.500000+00:00",
	    11, { 0x07, 0xe0, 12, 31, 23, 59, 60, 5, '+', 0, 0 } },
	{ F_DMTF, "00000101000000.000000+***",
	    T(0, 1, 1, 0, 0, 0, 0, false, 0),
	    "0000-01-01T00:00:00.000000",
	    8, { 0x00, 0x00, 1, 1, 0, 0, 0, 0 } },
	{ F_DMTF, "99991231235959.999999+***",
	    T(9999, 12, 31, 23, 59, 59, 999999, false, 0),
	    "9999-12-31T23:59:59.999999",
	    8, { 0x27, 0x0f, 12, 31, 23, 59, 59, 9 } },

	/* ISO 8601 from PowerShell 7 and .ToString('o'). */
	{ F_ISO, "2024-05-01T10:00:00.1234567+02:00",
	    T(2024, 5, 1, 10, 0, 0, 123456, true, 120),
	    "2024-05-01T10:00:00.123456+02:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 1, '+', 2, 0 } },
	{ F_ISO, "2024-05-01T10:00:00.5Z",
	    T(2024, 5, 1, 10, 0, 0, 500000, true, 0),
	    "2024-05-01T10:00:00.500000+00:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 5, '+', 0, 0 } },
	{ F_ISO, "2024-05-01T10:00:00.09Z",
	    T(2024, 5, 1, 10, 0, 0, 90000, true, 0),
	    "2024-05-01T10:00:00.090000+00:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 0, 0 } },
	{ F_ISO, "2024-05-01T10:00:00.123456-05:00",
	    T(2024, 5, 1, 10, 0, 0, 123456, true, -300),
	    "2024-05-01T10:00:00.123456-05:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 1, '-', 5, 0 } },
	{ F_ISO, "2024-05-01T10:00:00.987654321+05:30",
	    T(2024, 5, 1, 10, 0, 0, 987654, true, 330),
	    "2024-05-01T10:00:00.987654+05:30",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 9, '+', 5, 30 } },
	{ F_ISO, "2024-05-01T10:00:00",
	    T(2024, 5, 1, 10, 0, 0, 0, false, 0),
	    "2024-05-01T10:00:00.000000",
	    8, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0 } },
	{ F_ISO, "2024-05-01T10:00:00Z",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 0),
	    "2024-05-01T10:00:00.000000+00:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 0, 0 } },
	{ F_ISO, "2024-02-29T00:00:00.0000000",
	    T(2024, 2, 29, 0, 0, 0, 0, false, 0),
	    "2024-02-29T00:00:00.000000",
	    8, { 0x07, 0xe8, 2, 29, 0, 0, 0, 0 } },
	{ F_ISO, "2016-12-31T23:59:60Z",
	    T(2016, 12, 31, 23, 59, 60, 0, true, 0),
	    "2016-12-31T23:59:60.000000+00:00",
	    11, { 0x07, 0xe0, 12, 31, 23, 59, 60, 0, '+', 0, 0 } },
	{ F_ISO, "2024-05-01T10:00:00+14:00",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 840),
	    "2024-05-01T10:00:00.000000+14:00",
	    11, { 0x07, 0xe8, 4, 30, 20, 0, 0, 0, '+', 0, 0 } },
	{ F_ISO, "2024-05-01T10:00:00-09:30",
	    T(2024, 5, 1, 10, 0, 0, 0, true, -570),
	    "2024-05-01T10:00:00.000000-09:30",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '-', 9, 30 } },
	/* DateTime.MinValue and MaxValue as .ToString('o') writes them. */
	{ F_ISO, "0001-01-01T00:00:00.0000000",
	    T(1, 1, 1, 0, 0, 0, 0, false, 0),
	    "0001-01-01T00:00:00.000000",
	    8, { 0x00, 0x01, 1, 1, 0, 0, 0, 0 } },
	{ F_ISO, "9999-12-31T23:59:59.9999999Z",
	    T(9999, 12, 31, 23, 59, 59, 999999, true, 0),
	    "9999-12-31T23:59:59.999999+00:00",
	    11, { 0x27, 0x0f, 12, 31, 23, 59, 59, 9, '+', 0, 0 } },

	/* Windows PowerShell 5.1: UTC ms, the suffix only picks the local
	 * time shown.  date -u -d @1714550400: Wed May 1 08:00:00 UTC 2024. */
	{ F_MS, "/Date(1714550400000)/",
	    T(2024, 5, 1, 8, 0, 0, 0, true, 0),
	    "2024-05-01T08:00:00.000000+00:00",
	    11, { 0x07, 0xe8, 5, 1, 8, 0, 0, 0, '+', 0, 0 } },
	{ F_MS, "/Date(1714550400000+0200)/",
	    T(2024, 5, 1, 10, 0, 0, 0, true, 120),
	    "2024-05-01T10:00:00.000000+02:00",
	    11, { 0x07, 0xe8, 5, 1, 10, 0, 0, 0, '+', 2, 0 } },
	{ F_MS, "/Date(1714550400123-0500)/",
	    T(2024, 5, 1, 3, 0, 0, 123000, true, -300),
	    "2024-05-01T03:00:00.123000-05:00",
	    11, { 0x07, 0xe8, 5, 1, 3, 0, 0, 1, '-', 5, 0 } },
	{ F_MS, "/Date(0+0530)/",
	    T(1970, 1, 1, 5, 30, 0, 0, true, 330),
	    "1970-01-01T05:30:00.000000+05:30",
	    11, { 0x07, 0xb2, 1, 1, 5, 30, 0, 0, '+', 5, 30 } },
	{ F_MS, "/Date(0)/",
	    T(1970, 1, 1, 0, 0, 0, 0, true, 0),
	    "1970-01-01T00:00:00.000000+00:00",
	    11, { 0x07, 0xb2, 1, 1, 0, 0, 0, 0, '+', 0, 0 } },
	/* Negative ms round down: -1 ms is the last ms of 1969. */
	{ F_MS, "/Date(-1)/",
	    T(1969, 12, 31, 23, 59, 59, 999000, true, 0),
	    "1969-12-31T23:59:59.999000+00:00",
	    11, { 0x07, 0xb1, 12, 31, 23, 59, 59, 9, '+', 0, 0 } },
	/* DateTime.MinValue: date -u -d @-62135596800. */
	{ F_MS, "/Date(-62135596800000)/",
	    T(1, 1, 1, 0, 0, 0, 0, true, 0),
	    "0001-01-01T00:00:00.000000+00:00",
	    11, { 0x00, 0x01, 1, 1, 0, 0, 0, 0, '+', 0, 0 } },
	{ F_MS, "/Date(-62135596800000-0100)/",
	    T(0, 12, 31, 23, 0, 0, 0, true, -60),
	    "0000-12-31T23:00:00.000000-01:00",
	    11, { 0x00, 0x00, 12, 31, 23, 0, 0, 0, '-', 1, 0 } },
	/* The ends of the range: date -u -d '0000-01-01T00:00:00Z' +%s is
	 * -62167219200, date -u -d @253402300799 is 9999-12-31T23:59:59. */
	{ F_MS, "/Date(-62167219200000)/",
	    T(0, 1, 1, 0, 0, 0, 0, true, 0),
	    "0000-01-01T00:00:00.000000+00:00",
	    11, { 0x00, 0x00, 1, 1, 0, 0, 0, 0, '+', 0, 0 } },
	{ F_MS, "/Date(253402300799999)/",
	    T(9999, 12, 31, 23, 59, 59, 999000, true, 0),
	    "9999-12-31T23:59:59.999000+00:00",
	    11, { 0x27, 0x0f, 12, 31, 23, 59, 59, 9, '+', 0, 0 } },
	/* date -u -d @1709164800 and @951782400: leap days. */
	{ F_MS, "/Date(1709164800000)/",
	    T(2024, 2, 29, 0, 0, 0, 0, true, 0),
	    "2024-02-29T00:00:00.000000+00:00",
	    11, { 0x07, 0xe8, 2, 29, 0, 0, 0, 0, '+', 0, 0 } },
	{ F_MS, "/Date(951782400000)/",
	    T(2000, 2, 29, 0, 0, 0, 0, true, 0),
	    "2000-02-29T00:00:00.000000+00:00",
	    11, { 0x07, 0xd0, 2, 29, 0, 0, 0, 0, '+', 0, 0 } },
};

#define NGOOD (sizeof(good_times) / sizeof(good_times[0]))

static bool
time_eq(const struct dp_time *a, const struct dp_time *b)
{
	return a->year == b->year && a->month == b->month &&
	    a->day == b->day && a->hour == b->hour &&
	    a->minute == b->minute && a->second == b->second &&
	    a->usec == b->usec && a->has_offset == b->has_offset &&
	    a->offset_min == b->offset_min;
}

/* Printed field by field, not with dp_time_format, which is under test. */
static const char *
time_str(const struct dp_time *t, char *buf, size_t len)
{
	snprintf(buf, len, "%d-%d-%d %d:%d:%d.%d has_offset=%d offset=%d",
	    t->year, t->month, t->day, t->hour, t->minute, t->second,
	    t->usec, t->has_offset, t->offset_min);
	return buf;
}

static void
assert_time(const char *in, const struct dp_time *got,
    const struct dp_time *want)
{
	char	 g[128], w[128];

	ck_assert_msg(time_eq(got, want), "%s: got {%s}, want {%s}", in,
	    time_str(got, g, sizeof(g)), time_str(want, w, sizeof(w)));
}

static void
assert_octets(const char *in, const uint8_t *got, size_t gotlen,
    const uint8_t *want, size_t wantlen)
{
	char	 g[64] = "", w[64] = "";

	for (size_t i = 0; i < gotlen; i++)
		snprintf(g + 3 * i, sizeof(g) - 3 * i, "%02x ", got[i]);
	for (size_t i = 0; i < wantlen; i++)
		snprintf(w + 3 * i, sizeof(w) - 3 * i, "%02x ", want[i]);
	ck_assert_msg(gotlen == wantlen && memcmp(got, want, wantlen) == 0,
	    "%s: DateAndTime %s, want %s", in, g, w);
}

/* Each form through its own parser: fields, DateAndTime, text. */
START_TEST(test_time_good)
{
	const struct good_time	*c = &good_times[_i];
	struct dp_time		 t;
	const char		*why = NULL;
	uint8_t			 oct[11];
	char			 text[DP_TIME_TEXT_MAX];
	size_t			 n;

	memset(&t, 0x55, sizeof(t));
	ck_assert_msg(parser(c->form)(c->in, &t, &why) == 0,
	    "%s refused: %s", c->in, why);
	assert_time(c->in, &t, &c->want);

	memset(oct, 0xee, sizeof(oct));
	n = dp_time_to_dateandtime(&t, oct);
	assert_octets(c->in, oct, n, c->oct, c->octlen);
	if (n == 8)
		ck_assert_msg(oct[8] == 0xee && oct[9] == 0xee &&
		    oct[10] == 0xee, "%s: wrote past 8 octets", c->in);

	dp_time_format(&t, text);
	ck_assert_str_eq(text, c->text);
}
END_TEST

/* The same inputs through the dispatcher give the same result. */
START_TEST(test_time_dispatch)
{
	const struct good_time	*c = &good_times[_i];
	struct dp_time		 t;
	const char		*why = NULL;

	ck_assert_msg(dp_time_parse(c->in, &t, &why) == 0,
	    "%s refused: %s", c->in, why);
	assert_time(c->in, &t, &c->want);
}
END_TEST

/* Canonical text -> ISO 8601 parser -> the same struct. */
START_TEST(test_time_round_trip)
{
	const struct good_time	*c = &good_times[_i];
	struct dp_time		 t;
	const char		*why = NULL;
	char			 text[DP_TIME_TEXT_MAX];
	char			 again[DP_TIME_TEXT_MAX];

	dp_time_format(&c->want, text);
	ck_assert_msg(dp_time_parse_iso8601(text, &t, &why) == 0,
	    "%s refused: %s", text, why);
	assert_time(text, &t, &c->want);
	dp_time_format(&t, again);
	ck_assert_str_eq(again, text);
}
END_TEST

struct bad_time {
	enum form	 form;
	const char	*in;
	const char	*why;
};

static const struct bad_time bad_times[] = {
	{ F_DMTF, "20231302000000.000000+000", WHY_MONTH },
	{ F_DMTF, "20230002000000.000000+000", WHY_MONTH },
	{ F_DMTF, "20230229000000.000000+***", WHY_DAY },
	{ F_DMTF, "19000229000000.000000+***", WHY_DAY },
	{ F_DMTF, "20240431000000.000000+***", WHY_DAY },
	{ F_DMTF, "20240100000000.000000+***", WHY_DAY },
	{ F_DMTF, "20240501240000.000000+000", WHY_HOUR },
	{ F_DMTF, "20240501106000.000000+000", WHY_MINUTE },
	{ F_DMTF, "20240501100061.000000+000", WHY_SECOND },
	{ F_DMTF, "20240501100000.000000+841", WHY_OFFSET },
	{ F_DMTF, "20240501100000.000000-841", WHY_OFFSET },
	{ F_DMTF, "20240501100000.000000+999", WHY_OFFSET },
	{ F_DMTF, "20240501100000.000000-***", WHY_WILDCARD },
	{ F_DMTF, "20240501100000.000000+0**", WHY_WILDCARD },
	{ F_DMTF, "2024*501100000.000000+000", WHY_WILDCARD },
	{ F_DMTF, "********000000.000000+***", WHY_WILDCARD },
	{ F_DMTF, "20240501100000.00000*+***", WHY_WILDCARD },
	{ F_DMTF, "20240501100000.000000+60", WHY_DMTF },
	{ F_DMTF, "20240501100000.000000+0600", WHY_DMTF },
	{ F_DMTF, "20240501100000,000000+060", WHY_DMTF },
	{ F_DMTF, "20240501100000.000000 060", WHY_DMTF },
	{ F_DMTF, "20240501100000.000000+06a", WHY_DMTF },
	{ F_DMTF, "2024050110000.0000000+060", WHY_DMTF },
	{ F_DMTF, "", WHY_DMTF },

	{ F_ISO, "2024-05-01 10:00:00", WHY_ISO },
	{ F_ISO, "2024-05-01t10:00:00Z", WHY_ISO },
	{ F_ISO, "2024-05-01T10:00", WHY_ISO },
	{ F_ISO, "2024-5-1T10:00:00", WHY_ISO },
	{ F_ISO, "+2024-05-01T10:00:00Z", WHY_ISO },
	{ F_ISO, "20240501T100000Z", WHY_ISO },
	{ F_ISO, "", WHY_ISO },
	{ F_ISO, "2024-05-01T10:00:00z", WHY_ISO_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00+0200", WHY_ISO_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00+02", WHY_ISO_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00Z ", WHY_ISO_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00+02:00x", WHY_ISO_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00 ", WHY_ISO_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00-00:00", WHY_NEGZERO },
	{ F_ISO, "2024-05-01T10:00:00+14:01", WHY_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00-15:00", WHY_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00+02:60", WHY_OFFSET },
	{ F_ISO, "2024-05-01T10:00:00.", WHY_FRACTION },
	{ F_ISO, "2024-05-01T10:00:00.Z", WHY_FRACTION },
	{ F_ISO, "2024-05-01T10:00:00.1234567890Z", WHY_FRACTION },
	{ F_ISO, "2023-02-29T00:00:00", WHY_DAY },
	{ F_ISO, "2024-13-01T00:00:00", WHY_MONTH },
	{ F_ISO, "2024-05-01T24:00:00", WHY_HOUR },
	{ F_ISO, "2024-05-01T10:60:00", WHY_MINUTE },
	{ F_ISO, "2024-05-01T10:00:61Z", WHY_SECOND },

	{ F_MS, "/Date()/", WHY_MSDATE },
	{ F_MS, "/Date(abc)/", WHY_MSDATE },
	{ F_MS, "/Date(1714550400000)", WHY_MSDATE },
	{ F_MS, "/Date(1714550400000)/x", WHY_MSDATE },
	{ F_MS, "/Date(1714550400000+02)/", WHY_MSDATE },
	{ F_MS, "/Date(1714550400000+02:00)/", WHY_MSDATE },
	{ F_MS, "/Date(+1714550400000)/", WHY_MSDATE },
	{ F_MS, "/Date(1714550400000 )/", WHY_MSDATE },
	{ F_MS, "/Date(--1)/", WHY_MSDATE },
	{ F_MS, "/Date(-)/", WHY_MSDATE },
	{ F_MS, "/date(0)/", WHY_MSDATE },
	{ F_MS, "\\/Date(1714550400000)\\/", WHY_MSDATE },
	{ F_MS, "/Date(1714550400000+0260)/", WHY_OFFSET },
	{ F_MS, "/Date(1714550400000+1500)/", WHY_OFFSET },
	{ F_MS, "/Date(9223372036854775808)/", WHY_OVERFLOW },
	{ F_MS, "/Date(-9223372036854775809)/", WHY_OVERFLOW },
	{ F_MS, "/Date(99999999999999999999)/", WHY_OVERFLOW },
	{ F_MS, "/Date(9223372036854775807)/", WHY_YEAR },
	{ F_MS, "/Date(-9223372036854775808)/", WHY_YEAR },
	{ F_MS, "/Date(253402300800000)/", WHY_YEAR },
	{ F_MS, "/Date(-62167219200001)/", WHY_YEAR },
	{ F_MS, "/Date(253402300799999+0100)/", WHY_YEAR },
	{ F_MS, "/Date(-62167219200000-0001)/", WHY_YEAR },
};

#define NBAD (sizeof(bad_times) / sizeof(bad_times[0]))

/* Refused with the exact reason, and the output left alone. */
START_TEST(test_time_bad)
{
	const struct bad_time	*c = &bad_times[_i];
	struct dp_time		 t, before;
	const char		*why = NULL;

	memset(&t, 0x55, sizeof(t));
	before = t;
	ck_assert_msg(parser(c->form)(c->in, &t, &why) == -1,
	    "\"%s\" accepted", c->in);
	ck_assert_msg(why != NULL && strcmp(why, c->why) == 0,
	    "\"%s\": why \"%s\", want \"%s\"", c->in, why ? why : "(null)",
	    c->why);
	ck_assert_msg(memcmp(&t, &before, sizeof(t)) == 0,
	    "\"%s\": output written on failure", c->in);
	/* why may be NULL. */
	ck_assert_int_eq(parser(c->form)(c->in, &t, NULL), -1);
}
END_TEST

/* Culture formats and other shapes: refused by the dispatcher by name. */
static const char *const not_times[] = {
	"5/1/2024 10:00:00 AM",
	"01.05.2024 10:00:00",
	"2024-05-01 10:00:00",
	"2024/05/01 10:00:00",
	"Wednesday, May 1, 2024 10:00:00 AM",
	"1.5.2024",
	"20240501100000",
	"20240501100000+060",
	" 2024-05-01T10:00:00Z",
	"\\/Date(1714550400000)\\/",
	"0",
	"",
};

#define NNOT (sizeof(not_times) / sizeof(not_times[0]))

START_TEST(test_time_not_a_time)
{
	struct dp_time	 t;
	const char	*why = NULL;

	ck_assert_int_eq(dp_time_parse(not_times[_i], &t, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, WHY_NOT_TIME);
}
END_TEST

/* The dispatcher passes a recognised shape on, with its own reason. */
START_TEST(test_time_dispatch_reasons)
{
	struct dp_time	 t;
	const char	*why;

	why = NULL;
	ck_assert_int_eq(dp_time_parse("2023-02-29T00:00:00", &t, &why), -1);
	ck_assert_str_eq(why, WHY_DAY);
	why = NULL;
	ck_assert_int_eq(dp_time_parse("20231302000000.000000+000", &t,
	    &why), -1);
	ck_assert_str_eq(why, WHY_MONTH);
	why = NULL;
	ck_assert_int_eq(dp_time_parse("/Date(x)/", &t, &why), -1);
	ck_assert_str_eq(why, WHY_MSDATE);
	why = NULL;
	ck_assert_int_eq(dp_time_parse("20240501100000.000000-***", &t,
	    &why), -1);
	ck_assert_str_eq(why, WHY_WILDCARD);
}
END_TEST

START_TEST(test_time_from_unix_ms)
{
	struct dp_time	 t, want1 = T(1969, 12, 31, 0, 0, 0, 0, true, 0);
	struct dp_time	 want2 = T(1969, 12, 30, 23, 59, 59, 999000, false, 0);
	struct dp_time	 want3 = T(2024, 5, 1, 8, 0, 0, 0, false, 0);

	ck_assert_int_eq(dp_time_from_unix_ms(-86400000, true, 0, &t), 0);
	assert_time("-86400000", &t, &want1);
	ck_assert_int_eq(dp_time_from_unix_ms(-86400001, false, 0, &t), 0);
	assert_time("-86400001", &t, &want2);
	/* Without an offset the one passed is ignored: the ms are shown
	 * as UTC wall-clock time. */
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_C(1714550400000), false,
	    120, &t), 0);
	assert_time("1714550400000", &t, &want3);

	ck_assert_int_eq(dp_time_from_unix_ms(0, true, 841, &t), -1);
	ck_assert_int_eq(dp_time_from_unix_ms(0, true, -841, &t), -1);
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_MAX, true, 0, &t), -1);
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_MIN, true, 0, &t), -1);
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_MAX, true, 840, &t), -1);
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_MIN, true, -840, &t), -1);
	/* In range in UTC, out of range once shown at -14:00. */
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_C(-62167219200000), true,
	    -840, &t), -1);
	ck_assert_int_eq(dp_time_from_unix_ms(INT64_C(-62167219200000), true,
	    840, &t), 0);
}
END_TEST

/*
 * Every day from 0000-01-01 to 9999-12-31 against a calendar counted one
 * day at a time, so the arithmetic is checked by a different method.
 */
START_TEST(test_time_every_day)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	struct dp_time	 t;
	int64_t		 day = INT64_C(-719528);	/* 0000-01-01 */
	int		 y = 0, m = 1, d = 1, last;

	for (;;) {
		/* Plain ifs: a ck_assert per day writes to Check's pipe and
		 * takes seconds over 3.65 million days. */
		if (dp_time_from_unix_ms(day * 86400000 + 43200123, true, 0,
		    &t) != 0)
			ck_abort_msg("day %lld refused", (long long)day);
		if (t.year != y || t.month != m || t.day != d ||
		    t.hour != 12 || t.usec != 123000)
			ck_abort_msg("day %lld: got %d-%d-%d, want %d-%d-%d",
			    (long long)day, t.year, t.month, t.day, y, m, d);
		if (y == 9999 && m == 12 && d == 31)
			break;
		last = mdays[m - 1];
		if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
			last = 29;
		if (++d > last) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
		day++;
	}
	ck_assert_int_eq(day, 2932896);		/* 9999-12-31 */
}
END_TEST

START_TEST(test_time_format_no_offset)
{
	struct dp_time	 t = T(1990, 1, 1, 0, 0, 0, 0, false, 123);
	char		 text[DP_TIME_TEXT_MAX];

	/* offset_min is ignored when the offset is unknown. */
	dp_time_format(&t, text);
	ck_assert_str_eq(text, "1990-01-01T00:00:00.000000");
	t = (struct dp_time)T(2024, 12, 31, 23, 59, 59, 1, true, -1);
	dp_time_format(&t, text);
	ck_assert_str_eq(text, "2024-12-31T23:59:59.000001-00:01");
	ck_assert_uint_eq(strlen(text), DP_TIME_TEXT_MAX - 1);
}
END_TEST

START_TEST(test_bool)
{
	static const struct {
		const char	*in;
		bool		 want;
	} good[] = {
		{ "True", true }, { "true", true }, { "TRUE", true },
		{ "tRuE", true }, { "1", true }, { "False", false },
		{ "false", false }, { "FALSE", false }, { "fAlSe", false },
		{ "0", false },
	};
	static const char *const bad[] = {
		"yes", "no", "", " True", "True ", "2", "01", "-1", "t", "f",
		"Truee", "tru", "on", "Fals", "1.0", "\"True\"",
	};
	const char	*why;
	bool		 v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = !good[i].want;
		ck_assert_msg(dp_bool_parse(good[i].in, &v, NULL) == 0,
		    "\"%s\" refused", good[i].in);
		ck_assert_msg(v == good[i].want, "\"%s\" read as %d",
		    good[i].in, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		v = true;
		ck_assert_msg(dp_bool_parse(bad[i], &v, &why) == -1,
		    "\"%s\" accepted", bad[i]);
		ck_assert_str_eq(why, WHY_BOOL);
		ck_assert_msg(v, "\"%s\": output written on failure", bad[i]);
	}
}
END_TEST

START_TEST(test_uint32)
{
	static const struct {
		const char	*in;
		uint32_t	 want;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "4294967295", UINT32_MAX },
		{ "0000000001", 1 }, { "0000000000", 0 },
		{ "2147483648", UINT32_C(2147483648) },
	};
	static const struct {
		const char	*in;
		const char	*why;
	} bad[] = {
		{ "4294967296", WHY_U32_RANGE },
		{ "9999999999", WHY_U32_RANGE },
		{ "12345678901", WHY_DIGITS },
		{ "00000000001", WHY_DIGITS },
		{ "18446744073709551617", WHY_DIGITS },
		{ "", WHY_EMPTY },
		{ "-1", WHY_NOT_NUM },
		{ "-0", WHY_NOT_NUM },
		{ "+1", WHY_NOT_NUM },
		{ " 1", WHY_NOT_NUM },
		{ "1 ", WHY_NOT_NUM },
		{ "1a", WHY_NOT_NUM },
		{ "0x10", WHY_NOT_NUM },
		{ "1.0", WHY_NOT_NUM },
		{ "1e3", WHY_NOT_NUM },
	};
	const char	*why;
	uint32_t	 v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		ck_assert_msg(dp_uint32_parse(good[i].in, &v, NULL) == 0,
		    "\"%s\" refused", good[i].in);
		ck_assert_msg(v == good[i].want, "\"%s\" read as %u",
		    good[i].in, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		v = 12345;
		ck_assert_msg(dp_uint32_parse(bad[i].in, &v, &why) == -1,
		    "\"%s\" accepted", bad[i].in);
		ck_assert_msg(why != NULL && strcmp(why, bad[i].why) == 0,
		    "\"%s\": why \"%s\"", bad[i].in, why ? why : "(null)");
		ck_assert_uint_eq(v, 12345);
	}
}
END_TEST

START_TEST(test_int32)
{
	static const struct {
		const char	*in;
		int32_t		 want;
	} good[] = {
		{ "0", 0 }, { "-0", 0 }, { "1", 1 }, { "-1", -1 },
		{ "2147483647", INT32_MAX }, { "-2147483648", INT32_MIN },
		{ "-2147483647", -INT32_MAX }, { "0000000042", 42 },
		{ "-0000000042", -42 }, { "259", 259 },
	};
	static const struct {
		const char	*in;
		const char	*why;
	} bad[] = {
		{ "2147483648", WHY_I32_RANGE },
		{ "-2147483649", WHY_I32_RANGE },
		{ "4294967295", WHY_I32_RANGE },
		{ "-9999999999", WHY_I32_RANGE },
		{ "12345678901", WHY_DIGITS },
		{ "-00000000001", WHY_DIGITS },
		{ "", WHY_EMPTY },
		{ "-", WHY_EMPTY },
		{ "+1", WHY_NOT_NUM },
		{ "--1", WHY_NOT_NUM },
		{ "- 1", WHY_NOT_NUM },
		{ " 1", WHY_NOT_NUM },
		{ "1 ", WHY_NOT_NUM },
		{ "1.0", WHY_NOT_NUM },
		{ "0x10", WHY_NOT_NUM },
	};
	const char	*why;
	int32_t		 v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		ck_assert_msg(dp_int32_parse(good[i].in, &v, NULL) == 0,
		    "\"%s\" refused", good[i].in);
		ck_assert_msg(v == good[i].want, "\"%s\" read as %d",
		    good[i].in, v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		v = 12345;
		ck_assert_msg(dp_int32_parse(bad[i].in, &v, &why) == -1,
		    "\"%s\" accepted", bad[i].in);
		ck_assert_msg(why != NULL && strcmp(why, bad[i].why) == 0,
		    "\"%s\": why \"%s\"", bad[i].in, why ? why : "(null)");
		ck_assert_int_eq(v, 12345);
	}
}
END_TEST

struct utf8_case {
	const char	*name;
	const char	*s;
	size_t		 n;
	bool		 valid;
};

#define U(name, lit, valid) { name, lit, sizeof(lit) - 1, valid }

static const struct utf8_case utf8_cases[] = {
	U("empty", "", true),
	U("ASCII", "PS1 DP01.contoso.com", true),
	U("U+0080", "\xc2\x80", true),
	U("U+00E9", "caf\xc3\xa9", true),
	U("U+07FF", "\xdf\xbf", true),
	U("U+0800", "\xe0\xa0\x80", true),
	U("U+20AC", "\xe2\x82\xac", true),
	U("U+D7FF", "\xed\x9f\xbf", true),
	U("U+E000", "\xee\x80\x80", true),
	U("U+FFFD", "\xef\xbf\xbd", true),
	U("U+10000", "\xf0\x90\x80\x80", true),
	U("U+1D11E", "\xf0\x9d\x84\x9e", true),
	U("U+10FFFF", "\xf4\x8f\xbf\xbf", true),
	U("mixed", "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", true),

	U("NUL", "a\0b", false),
	U("overlong C0", "\xc0\x80", false),
	U("overlong C1", "\xc1\xbf", false),
	U("overlong E0 80", "\xe0\x80\x80", false),
	U("overlong E0 9F", "\xe0\x9f\xbf", false),
	U("overlong F0 80", "\xf0\x80\x80\x80", false),
	U("overlong F0 8F", "\xf0\x8f\xbf\xbf", false),
	U("surrogate D800", "\xed\xa0\x80", false),
	U("surrogate DFFF", "\xed\xbf\xbf", false),
	U("U+110000", "\xf4\x90\x80\x80", false),
	U("F5", "\xf5\x80\x80\x80", false),
	U("F8", "\xf8\x88\x80\x80\x80", false),
	U("FE", "\xfe", false),
	U("FF", "\xff", false),
	U("truncated 2", "\xc3", false),
	U("truncated 3", "\xe2\x82", false),
	U("truncated 4", "\xf0\x9d\x84", false),
	U("truncated at end", "abc\xe2\x82", false),
	U("stray 80", "\x80", false),
	U("stray BF", "a\xbf", false),
	U("lead then ASCII", "\xc3\x41", false),
	U("bad third byte", "\xe2\x82\x41", false),
	U("bad fourth byte", "\xf0\x9d\x84\xc0", false),
	U("Latin-1 e-acute", "caf\xe9", false),
};

#define NUTF8 (sizeof(utf8_cases) / sizeof(utf8_cases[0]))

START_TEST(test_utf8)
{
	const struct utf8_case	*c = &utf8_cases[_i];

	ck_assert_msg(dp_utf8_valid(c->s, c->n) == c->valid,
	    "%s: want %s", c->name, c->valid ? "valid" : "invalid");
}
END_TEST

START_TEST(test_utf8_length_bound)
{
	/* Only n bytes are read: the sequence cut by n is truncated. */
	ck_assert(!dp_utf8_valid("\xe2\x82\xac", 2));
	ck_assert(dp_utf8_valid("ab\xff", 2));
	ck_assert(dp_utf8_valid(NULL, 0));
}
END_TEST

START_TEST(test_nal)
{
	static const struct {
		const char	*nal;
		const char	*want;
	} cases[] = {
		{ "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
		    "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\",
		    "DP01.contoso.com" },
		/* The display name may differ: the last "\\" counts. */
		{ "[\"Display=\\\\alias.contoso.com\\\"]MSWNET:"
		    "[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\",
		    "DP02.contoso.com" },
		{ "\\\\DP01.contoso.com", "DP01.contoso.com" },
		{ "\\\\srv\\share\\dir", "srv" },
		{ "DP01.contoso.com", "DP01.contoso.com" },
		{ "MSWNET:\\DP01\\", "MSWNET:\\DP01\\" },
		/* Nothing after the last "\\": the whole path. */
		{ "MSWNET:[\"SMS_SITE=PS1\"]\\\\",
		    "MSWNET:[\"SMS_SITE=PS1\"]\\\\" },
		{ "\\\\\\DP03\\", "DP03" },
		{ "", "" },
	};
	char	 out[256];
	size_t	 n;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		n = dp_nal_server_name(cases[i].nal, out, sizeof(out));
		ck_assert_str_eq(out, cases[i].want);
		ck_assert_uint_eq(n, strlen(cases[i].want));
	}
}
END_TEST

START_TEST(test_nal_truncation)
{
	const char	*nal = "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
	    "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\";
	char		 out[8];

	memset(out, 'x', sizeof(out));
	ck_assert_uint_eq(dp_nal_server_name(nal, out, 5), 4);
	ck_assert_str_eq(out, "DP01");
	ck_assert_int_eq(out[5], 'x');

	memset(out, 'x', sizeof(out));
	ck_assert_uint_eq(dp_nal_server_name(nal, out, 1), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(out[1], 'x');

	/* No room even for the NUL: nothing is written. */
	memset(out, 'x', sizeof(out));
	ck_assert_uint_eq(dp_nal_server_name(nal, out, 0), 0);
	ck_assert_int_eq(out[0], 'x');

	/* The fallback is truncated the same way. */
	memset(out, 'x', sizeof(out));
	ck_assert_uint_eq(dp_nal_server_name("no-backslashes", out, 8), 7);
	ck_assert_str_eq(out, "no-back");

	/* Exactly fitting, and one octet short. */
	ck_assert_uint_eq(dp_nal_server_name("\\\\DP0001\\", out, 7), 6);
	ck_assert_str_eq(out, "DP0001");
	memset(out, 'x', sizeof(out));
	ck_assert_uint_eq(dp_nal_server_name("\\\\DP0001\\", out, 6), 5);
	ck_assert_str_eq(out, "DP000");
	ck_assert_int_eq(out[6], 'x');
}
END_TEST

START_TEST(test_enum_names)
{
	static const struct {
		const char *(*fn)(int64_t);
		int64_t		 v;
		const char	*want;
	} cases[] = {
		{ dp_status_name, 0, "none" },
		{ dp_status_name, 1, "updated" },
		{ dp_status_name, 2, "added" },
		{ dp_status_name, 3, "deleted" },
		{ dp_status_name, -1, NULL },
		{ dp_status_name, 4, NULL },
		{ dp_status_name, INT64_C(4294967296), NULL },
		{ dp_package_type_name, 0, "regular" },
		{ dp_package_type_name, 3, "driver" },
		{ dp_package_type_name, 4, "taskSequence" },
		{ dp_package_type_name, 5, "softwareUpdate" },
		{ dp_package_type_name, 6, "deviceSetting" },
		{ dp_package_type_name, 7, "virtualApplication" },
		{ dp_package_type_name, 8, "content" },
		{ dp_package_type_name, 257, "image" },
		{ dp_package_type_name, 258, "bootImage" },
		{ dp_package_type_name, 259, "osUpgrade" },
		{ dp_package_type_name, 1, NULL },
		{ dp_package_type_name, 2, NULL },
		{ dp_package_type_name, 9, NULL },
		{ dp_package_type_name, 256, NULL },
		{ dp_package_type_name, 260, NULL },
		{ dp_package_type_name, -1, NULL },
		{ dp_package_type_name, INT64_C(4294967553), NULL },
		{ dp_object_type_name, 2, "package" },
		{ dp_object_type_name, 14, "osInstallPackage" },
		{ dp_object_type_name, 18, "imagePackage" },
		{ dp_object_type_name, 19, "bootImagePackage" },
		{ dp_object_type_name, 23, "driverPackage" },
		{ dp_object_type_name, 24, "softwareUpdatesPackage" },
		{ dp_object_type_name, 31, "application" },
		{ dp_object_type_name, 0, NULL },
		{ dp_object_type_name, 1, NULL },
		{ dp_object_type_name, 20, "taskSequencePackage" },
		{ dp_object_type_name, 21, "deviceSettingPackage" },
		{ dp_object_type_name, 22, NULL },
		{ dp_object_type_name, 32, NULL },
		{ dp_object_type_name, -2, NULL },
	};
	const char	*got;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = cases[i].fn(cases[i].v);
		if (cases[i].want == NULL)
			ck_assert_msg(got == NULL,
			    "case %zu (%lld): got \"%s\"", i,
			    (long long)cases[i].v, got);
		else {
			ck_assert_msg(got != NULL, "case %zu (%lld): NULL", i,
			    (long long)cases[i].v);
			ck_assert_str_eq(got, cases[i].want);
		}
	}
}
END_TEST

static Suite *
convert_suite(void)
{
	Suite	*s = suite_create("convert");
	TCase	*tc;

	tc = tcase_create("time");
	tcase_add_loop_test(tc, test_time_good, 0, NGOOD);
	tcase_add_loop_test(tc, test_time_dispatch, 0, NGOOD);
	tcase_add_loop_test(tc, test_time_round_trip, 0, NGOOD);
	tcase_add_loop_test(tc, test_time_bad, 0, NBAD);
	tcase_add_loop_test(tc, test_time_not_a_time, 0, NNOT);
	tcase_add_test(tc, test_time_dispatch_reasons);
	tcase_add_test(tc, test_time_from_unix_ms);
	tcase_add_test(tc, test_time_every_day);
	tcase_add_test(tc, test_time_format_no_offset);
	suite_add_tcase(s, tc);

	tc = tcase_create("numbers");
	tcase_add_test(tc, test_bool);
	tcase_add_test(tc, test_uint32);
	tcase_add_test(tc, test_int32);
	suite_add_tcase(s, tc);

	tc = tcase_create("utf8");
	tcase_add_loop_test(tc, test_utf8, 0, NUTF8);
	tcase_add_test(tc, test_utf8_length_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_nal);
	tcase_add_test(tc, test_nal_truncation);
	tcase_add_test(tc, test_enum_names);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return fixture_run(convert_suite());
}
