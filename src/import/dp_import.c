/*
 * dp_import: detection of encoding and format, the checks every record
 * gets whatever format it came in, and the import transaction.
 *
 * Why the checks live here and not in the readers: a value must be refused
 * or warned about in the same words whether it came from ConvertTo-Json or
 * Export-Csv, and the readers should only know their syntax.
 */
#include "import/dp_import.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/dp_convert.h"
#include "convert/dp_props.h"
#include "import/dp_import_int.h"
#include "util/dp_log.h"

/* ---- messages ------------------------------------------------------------ */

const char *
imp_show(const char *s, size_t n, char *buf, size_t buflen)
{
	size_t		 o, shown;
	bool		 utf8;

	/* Invalid UTF-8 must not reach a log that is UTF-8 (syslog, the
	 * Net-SNMP log): escape every non-ASCII octet then. */
	shown = n > IMP_SHOW_MAX ? IMP_SHOW_MAX : n;
	utf8 = dp_utf8_valid(s, n);
	if (utf8) {
		/* Do not cut a character in two. */
		while (shown < n && shown > 0 &&
		    ((unsigned char)s[shown] & 0xc0) == 0x80)
			shown--;
	}
	o = dp_escape(s, shown, utf8, buf, buflen);
	if (shown < n && o + 4 < buflen)
		memcpy(buf + o, "...", 4);
	return buf;
}

static void imp_vlog(struct imp_file *, int, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
imp_vlog(struct imp_file *f, int prio, int prop, const char *fmt, va_list ap)
{
	char	 msg[768], where[IMP_SHOW_BUF + 64], field[40];
	char	 pkg[IMP_SHOW_BUF];

	if (f->quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* A PackageID is any UTF-8: control characters in it must not
	 * reach the log (a newline would forge a line). */
	if (f->record_no == 0)
		where[0] = '\0';
	else if (f->package_id != NULL)
		snprintf(where, sizeof(where), "record %lu (PackageID %s): ",
		    f->record_no, imp_show(f->package_id,
		    strlen(f->package_id), pkg, sizeof(pkg)));
	else
		snprintf(where, sizeof(where), "record %lu: ", f->record_no);
	if (prop >= 0 && prop < DP_P_COUNT)
		snprintf(field, sizeof(field), "field %s: ",
		    dp_props[prop].name);
	else
		field[0] = '\0';
	dp_log(prio, "%s: %s%s%s", f->name, where, field, msg);
}

int
imp_error(struct imp_file *f, int prop, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	imp_vlog(f, DP_LOG_ERR, prop, fmt, ap);
	va_end(ap);
	return -1;
}

void
imp_warn(struct imp_file *f, int prop, const char *fmt, ...)
{
	va_list	 ap;

	if (f->quiet)
		return;
	if (f->warnings != NULL)
		(*f->warnings)++;
	va_start(ap, fmt);
	imp_vlog(f, DP_LOG_WARNING, prop, fmt, ap);
	va_end(ap);
}

int
imp_file_error(struct imp_file *f, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[768];

	if (f->quiet)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dp_err("%s: %s", f->name, msg);
	return -1;
}

void
imp_file_warn(struct imp_file *f, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[768];

	if (f->quiet)
		return;
	if (f->warnings != NULL)
		(*f->warnings)++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	dp_warn("%s: %s", f->name, msg);
}

/*
 * Line and column of a text offset, counted only when a message needs
 * them: a compressed ConvertTo-Json export is one line of hundreds of
 * megabytes, so tracking columns while parsing would cost more than the
 * parse.  Columns count characters, as jansson's do.
 */
static void
imp_position(const struct imp_file *f, size_t off, unsigned long *line,
    unsigned long *col)
{
	const char	*p, *nl, *ls = f->text;
	size_t		 end = off > f->len ? f->len : off;
	unsigned long	 l = 1, c = 1;

	for (p = f->text; (nl = memchr(p, '\n', (size_t)(f->text + end -
	    p))) != NULL; p = nl + 1) {
		l++;
		ls = nl + 1;
	}
	for (p = ls; p < f->text + end; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80)
			c++;
	}
	*line = l;
	*col = c;
}

int
imp_syntax(struct imp_file *f, size_t off, const char *fmt, ...)
{
	va_list		 ap;
	char		 msg[768];
	unsigned long	 line, col;

	if (f->quiet)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	imp_position(f, off, &line, &col);
	dp_err("%s: line %lu, column %lu: %s", f->name, line, col, msg);
	return -1;
}

/* ---- one record ---------------------------------------------------------- */

/*
 * Where the value of property prop goes in a record, for each C type of a
 * value, from the column table (model/dp_columns.h): a property's member
 * is found when it has the type wanted, else NULL.
 */
typedef char imp_time_text[DP_TIME_TEXT_MAX];

#define SLOT_CASE(id, field, ...) \
	case DP_P_##id: \
		return _Generic(&r->field, SLOT_TYPE: &r->field, \
		    default: NULL);
#define SLOT_FUNCTION(fn) \
static SLOT_TYPE \
fn(struct dp_record *r, int prop) \
{ \
	switch (prop) { \
	DP_COLUMNS(SLOT_CASE, DP_IGNORE, DP_IGNORE) \
	DP_DIST_COLUMNS(DP_IGNORE, SLOT_CASE, DP_IGNORE, DP_IGNORE) \
	DP_DIST_EXTRA(SLOT_CASE, DP_IGNORE) \
	} \
	return NULL; \
}

#define SLOT_TYPE const char **
SLOT_FUNCTION(string_slot)
#undef SLOT_TYPE
#define SLOT_TYPE bool *
SLOT_FUNCTION(bool_slot)
#undef SLOT_TYPE
#define SLOT_TYPE uint32_t *
SLOT_FUNCTION(uint32_slot)
#undef SLOT_TYPE
#define SLOT_TYPE int32_t *
SLOT_FUNCTION(enum_slot)
#undef SLOT_TYPE
#define SLOT_TYPE imp_time_text *
SLOT_FUNCTION(time_slot)
#undef SLOT_TYPE

/* imp_set_bytes() fills the one buffer of struct imp_file. */
#define COUNT_BYTES_BOOL	0
#define COUNT_BYTES_UINT32	0
#define COUNT_BYTES_ENUM	0
#define COUNT_BYTES_STRING	0
#define COUNT_BYTES_TIME	0
#define COUNT_BYTES_BYTES	1
#define COUNT_BYTES(id, field, name, kind, ...) + COUNT_BYTES_##kind
_Static_assert(0 DP_COLUMNS(COUNT_BYTES, DP_IGNORE, DP_IGNORE)
    DP_DIST_COLUMNS(DP_IGNORE, COUNT_BYTES, DP_IGNORE, DP_IGNORE)
    DP_DIST_EXTRA(COUNT_BYTES, DP_IGNORE) == 1,
    "the importer has a buffer for one BYTES property (imp_file.isv)");

/* The properties that tell the classes apart. */
#define ONLY_DP		(DP_PROPS_OF_DP & ~DP_PROPS_OF_DIST)
#define ONLY_DIST	(DP_PROPS_OF_DIST & ~DP_PROPS_OF_DP)

/* The lowest property of a mask, for messages. */
static int
first_prop(uint32_t mask)
{
	for (int p = 0; p < DP_P_COUNT; p++)
		if (mask & (1u << p))
			return p;
	return -1;
}

/*
 * The class of the record being ended, from the properties it names
 * (null ones too: ConvertTo-Json and Export-Csv write every property
 * they were given).  Each record is judged alone, and a file holds one
 * class: a record of the other, of both, or of neither is refused with
 * the property that decided.
 */
static int
imp_class(struct imp_file *f)
{
	uint32_t	 dp = f->seen & ONLY_DP, dist = f->seen & ONLY_DIST;
	enum dp_class	 c;

	if (dp != 0 && dist != 0)
		return imp_error(f, first_prop(dist), "a property of %s in a "
		    "record with %s, a property of %s: a record is of one "
		    "class", dp_class_name(DP_CLASS_DIST),
		    dp_props[first_prop(dp)].name, dp_class_name(DP_CLASS_DP));
	if (dp == 0 && dist == 0)
		return imp_error(f, -1, "no property tells its class: an "
		    "export of %s has Status (and the other properties of "
		    "the class), one of %s has State", dp_class_name(
		    DP_CLASS_DP), dp_class_name(DP_CLASS_DIST));
	c = dp != 0 ? DP_CLASS_DP : DP_CLASS_DIST;
	if (f->cls != DP_CLASS_NONE && f->cls != c)
		return imp_error(f, first_prop(dp | dist), "a property of %s, "
		    "but record %lu is of %s: one class per file",
		    dp_class_name(c), f->cls_record, dp_class_name(f->cls));
	if (f->cls == DP_CLASS_NONE) {
		f->cls = c;
		f->cls_record = f->record_no;
	}
	f->rec.cls = c;
	return 0;
}

static void
imp_present(struct imp_file *f, int prop)
{
	f->rec.present |= 1u << prop;
}

void
imp_record_begin(struct imp_file *f)
{
	f->record_no++;
	memset(&f->rec, 0, sizeof(f->rec));
	f->seen = 0;
	f->package_id = NULL;
}

int
imp_record_end(struct imp_file *f)
{
	static const int keys[] = {
		DP_P_PACKAGE_ID, DP_P_SERVER_NAL_PATH, DP_P_SITE_CODE
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!DP_PRESENT(&f->rec, keys[i]))
			return imp_error(f, keys[i], "missing: every record "
			    "needs the class key PackageID, ServerNALPath "
			    "and SiteCode");
	}
	if (imp_class(f) != 0)
		return -1;
	for (int p = 0; p < DP_P_COUNT; p++) {
		if (!dp_props[p].required || dp_props[p].is_key ||
		    DP_PRESENT(&f->rec, p))
			continue;
		if ((f->rec.cls == DP_CLASS_DIST ? DP_PROPS_OF_DIST :
		    DP_PROPS_OF_DP) & (1u << p))
			return imp_error(f, p, "%s: every record of %s needs "
			    "it", f->seen & (1u << p) ? "null" : "missing",
			    dp_class_name(f->rec.cls));
	}
	/*
	 * ISVDataSize is "the size of the data indicated by ISVData", but
	 * the ISV that writes ISVData writes ISVDataSize too and ConfigMgr
	 * checks neither: a mismatch is the ISV's to fix, not a reason to
	 * refuse the whole import.  Kept as exported, and named.  Only when
	 * the record has both: a null or "System.Byte[]" keeps the stored
	 * ISVData, whose length is not known here.
	 */
	if (DP_PRESENT(&f->rec, DP_P_ISV_DATA) &&
	    DP_PRESENT(&f->rec, DP_P_ISV_DATA_SIZE) &&
	    f->rec.isv_data_size != f->rec.isv_data_len)
		imp_warn(f, DP_P_ISV_DATA_SIZE, "%" PRIu32 ", but ISVData has "
		    "%zu octets: stored as exported", f->rec.isv_data_size,
		    f->rec.isv_data_len);
	if (f->fn != NULL &&
	    f->fn(&f->rec, f->name, f->record_no, f->arg) != 0)
		return -1;
	return 0;
}

int
imp_claim(struct imp_file *f, int prop, const char *given)
{
	char	 buf[IMP_SHOW_BUF];

	/* Names match case-insensitively, so "Status" and "status" in one
	 * object are the same property twice: which one would win? */
	if (f->seen & (1u << prop))
		return imp_error(f, prop, "given twice in one record (again "
		    "as \"%s\")", imp_show(given, strlen(given), buf,
		    sizeof(buf)));
	f->seen |= 1u << prop;
	return 0;
}

int
imp_set_null(struct imp_file *f, int prop)
{
	if (dp_props[prop].is_key)
		return imp_error(f, prop, "null: a key property needs a "
		    "value");
	/* A required one is named in imp_record_end(), with its class. */
	/* Clear, not set: a null keeps the stored value (ISVData and
	 * ISVDataSize are lazy and come back null from a listing). */
	f->rec.present &= ~(1u << prop);
	return 0;
}

int
imp_set_string(struct imp_file *f, int prop, const char *s, size_t len)
{
	const char	**slot;

	if ((slot = string_slot(&f->rec, prop)) == NULL)
		return imp_error(f, prop, "not a string property");
	if (!dp_utf8_valid(s, len))
		return imp_error(f, prop, "not valid UTF-8 (or contains a "
		    "NUL character)");
	/* Octets, not characters: the MIB's SIZE counts octets.  Refuse
	 * rather than truncate, or two keys could become one. */
	if (len > dp_props[prop].max_len)
		return imp_error(f, prop, "%zu octets long, the MIB allows at "
		    "most %zu: refused, never truncated", len,
		    dp_props[prop].max_len);
	if (dp_props[prop].is_key && len == 0)
		return imp_error(f, prop, "empty: a key property needs a "
		    "value");
	*slot = s;
	imp_present(f, prop);
	if (prop == DP_P_PACKAGE_ID)
		f->package_id = s;
	return 0;
}

int
imp_set_bool(struct imp_file *f, int prop, bool v)
{
	bool	*slot;

	if ((slot = bool_slot(&f->rec, prop)) == NULL)
		return imp_error(f, prop, "not a Boolean property");
	*slot = v;
	imp_present(f, prop);
	return 0;
}

/*
 * ConfigMgr adds values over the years: the data is kept, and the first
 * record with each new value is named.  Once per value and file, not per
 * record: a site with 10^5 rows of a new package type would otherwise get
 * 10^5 identical lines.  imp_unknown_summary() gives the counts.
 */
static void
imp_unknown_value(struct imp_file *f, int prop, int32_t v)
{
	struct imp_unknown	*u;
	size_t			 i;
	bool			 kept = false;

	for (i = 0; i < f->nunknown; i++) {
		u = &f->unknown[i];
		if (u->prop == prop && u->value == v) {
			u->count++;
			return;
		}
	}
	if (f->nunknown < IMP_UNKNOWN_MAX) {
		u = &f->unknown[f->nunknown++];
		u->prop = prop;
		u->value = v;
		u->first = f->record_no;
		u->count = 1;
		kept = true;
	}
	imp_warn(f, prop, "%" PRId32 " is not a value this MIB enumerates; "
	    "stored as it is%s", v, kept ? " (warned once per value and "
	    "file)" : "");
}

static void
imp_unknown_summary(struct imp_file *f)
{
	const struct imp_unknown *u;

	if (f->quiet)
		return;
	for (size_t i = 0; i < f->nunknown; i++) {
		u = &f->unknown[i];
		if (u->count > 1)
			dp_notice("%s: field %s: value %" PRId32 " on %lu "
			    "records, the first record %lu", f->name,
			    dp_props[u->prop].name, u->value, u->count,
			    u->first);
	}
}

int
imp_set_integer(struct imp_file *f, int prop, int64_t v)
{
	uint32_t	*u;
	int32_t		*e;

	if ((u = uint32_slot(&f->rec, prop)) != NULL) {
		if (v < 0 || v > (int64_t)UINT32_MAX)
			return imp_error(f, prop, "%" PRId64 " is outside "
			    "UInt32 (0..4294967295): refused", v);
		*u = (uint32_t)v;
		imp_present(f, prop);
		return 0;
	}
	if ((e = enum_slot(&f->rec, prop)) == NULL)
		return imp_error(f, prop, "not a numeric property");
	/* The MIB's textual conventions are Integer32-based. */
	if (v < INT32_MIN || v > INT32_MAX)
		return imp_error(f, prop, "%" PRId64 " is outside Integer32 "
		    "(-2147483648..2147483647): refused", v);
	*e = (int32_t)v;
	if (dp_props[prop].labels != NULL && dp_props[prop].labels(v) == NULL)
		imp_unknown_value(f, prop, (int32_t)v);
	imp_present(f, prop);
	return 0;
}

int
imp_set_time(struct imp_file *f, int prop, const char *s, size_t len)
{
	struct dp_time	 t;
	const char	*why = "not a time";
	char		 buf[IMP_SHOW_BUF];
	imp_time_text	*slot;

	if ((slot = time_slot(&f->rec, prop)) == NULL)
		return imp_error(f, prop, "not a time property");
	if (!dp_utf8_valid(s, len))
		return imp_error(f, prop, "not valid UTF-8 (or contains a "
		    "NUL character)");
	if (dp_time_parse(s, &t, &why) != 0) {
		/*
		 * What Export-Csv writes by default is the culture's format,
		 * which cannot be read back without knowing the culture:
		 * "5/1/2024" is May or January.  Say how to export instead.
		 */
		if (memchr(s, ' ', len) != NULL && s[0] != '/')
			return imp_error(f, prop, "\"%s\": %s; this looks "
			    "like a date in a culture's format, which is "
			    "ambiguous: export dates with .ToString('o')",
			    imp_show(s, len, buf, sizeof(buf)), why);
		return imp_error(f, prop, "\"%s\": %s",
		    imp_show(s, len, buf, sizeof(buf)), why);
	}
	dp_time_format(&t, *slot);
	imp_present(f, prop);
	return 0;
}

int
imp_set_bytes(struct imp_file *f, int prop, size_t len)
{
	if (len > dp_props[prop].max_len)
		return imp_error(f, prop, "%zu octets long, the MIB allows at "
		    "most %zu: refused, never truncated", len,
		    dp_props[prop].max_len);
	f->rec.isv_data = f->isv;
	f->rec.isv_data_len = len;
	imp_present(f, prop);
	return 0;
}

int
imp_bytes_placeholder(struct imp_file *f, int prop)
{
	/* Once per file: a CSV export has it on every row that has data. */
	if (f->placeholders++ == 0)
		imp_warn(f, prop, "\"System.Byte[]\" is what PowerShell "
		    "writes for a byte array it does not serialise "
		    "(Export-Csv, or ConvertTo-Json beyond -Depth): no data; "
		    "the stored ISVData is kept (warned once per file)");
	f->rec.present &= ~(1u << prop);
	return 0;
}

/*
 * A 10^6-row export is a gigabyte of text.  Pages of a read-only file
 * mapping that the reader has passed are dropped from the process: they
 * stay in the page cache and fault back in if an error message needs to
 * count lines, so nothing is lost but the resident size.  Only mapped
 * files: MADV_DONTNEED on heap memory would zero it.
 */
#define IMP_DROP_CHUNK	(32u << 20)

/* Gives back the pages of map[*dropped, done) once they make a chunk. */
static void
imp_drop(const char *map, size_t *dropped, size_t done)
{
	static long	 pagesz;
	size_t		 end;

	if (done - *dropped < IMP_DROP_CHUNK)
		return;
	if (pagesz <= 0 && (pagesz = sysconf(_SC_PAGESIZE)) <= 0)
		return;
	end = done / (size_t)pagesz * (size_t)pagesz;
	/* madvise() takes void *; the mapping is PROT_READ, nothing is
	 * written through it. */
	(void)madvise((void *)(uintptr_t)(map + *dropped), end - *dropped,
	    MADV_DONTNEED);
	*dropped = end;
}

void
imp_progress(struct imp_file *f, size_t off)
{
	size_t	 done;

	if (f->map == NULL)
		return;
	done = (size_t)(f->text + off - f->map);
	if (done <= f->map_len)
		imp_drop(f->map, &f->map_dropped, done);
}

/* ---- encodings ----------------------------------------------------------- */

/*
 * UTF-16 to UTF-8 with glibc's iconv, which refuses unpaired surrogates
 * (EILSEQ) and a file that ends inside a character (EINVAL).  Each UTF-16
 * unit becomes at most 3 octets and a surrogate pair 4, so 3/2 of the
 * input always suffices.  The input goes through in chunks so that the
 * pages of a mapped file (map, not NULL) can be given back behind it: a
 * 10^6-row UTF-16 export is 2 GB.
 */
static int
imp_transcode(struct imp_file *f, const char *from, const unsigned char *in,
    size_t inlen, size_t bom, const char *map, char **out)
{
	iconv_t		 cd;
	char		*buf = NULL, *ip, *op;
	size_t		 cap, il, ol, n, dropped = 0;
	unsigned long	 line = 1;
	int		 rc = -1, e;

	if ((cd = iconv_open("UTF-8", from)) == (iconv_t)-1)
		return imp_file_error(f, "cannot convert from %s: %s", from,
		    strerror(errno));
	if (inlen > (SIZE_MAX - 1) / 3 * 2) {
		imp_file_error(f, "too large");
		goto out;
	}
	cap = inlen / 2 * 3 + 1;
	if ((buf = malloc(cap)) == NULL) {
		imp_file_error(f, "%s", strerror(errno));
		goto out;
	}
	/* iconv's prototype lacks const; it does not write the input. */
	ip = (char *)(uintptr_t)in;
	il = inlen;
	op = buf;
	ol = cap - 1;
	while (il > 0) {
		n = il < IMP_DROP_CHUNK ? il : IMP_DROP_CHUNK;
		il -= n;
		if (iconv(cd, &ip, &n, &op, &ol) == (size_t)-1) {
			e = errno;
			/* A character cut by the end of the chunk: the next
			 * chunk starts with it. */
			if (e == EINVAL && il > 0) {
				il += n;
				continue;
			}
			for (const char *p = buf; p < op; p++)
				line += *p == '\n';
			if (e == EILSEQ)
				imp_file_error(f, "line %lu: invalid %s at "
				    "byte offset %zu (an unpaired surrogate)",
				    line, from,
				    bom + (size_t)(ip - (const char *)in));
			else if (e == EINVAL)
				imp_file_error(f, "line %lu: the file ends "
				    "inside a %s character (truncated?)", line,
				    from);
			else
				imp_file_error(f, "converting from %s: %s",
				    from, strerror(e));
			goto out;
		}
		if (map != NULL)
			imp_drop(map, &dropped, (size_t)(ip - map));
	}
	*op = '\0';
	f->text = buf;
	f->len = (size_t)(op - buf);
	*out = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	iconv_close(cd);
	return rc;
}

/* Sets f->text, f->len and f->encoding; *conv gets memory to free. */
static int
imp_decode(struct imp_file *f, const unsigned char *d, size_t len,
    bool mapped, char **conv)
{
	const char	*map = mapped ? (const char *)d : NULL;

	*conv = NULL;
	f->encoding = "UTF-8";
	/* UTF-32's BOM starts like UTF-16LE's: test it first. */
	if (len >= 4 && ((d[0] == 0xff && d[1] == 0xfe && d[2] == 0 &&
	    d[3] == 0) || (d[0] == 0 && d[1] == 0 && d[2] == 0xfe &&
	    d[3] == 0xff)))
		return imp_file_error(f, "UTF-32 is not supported: export "
		    "with -Encoding UTF8");
	if (len >= 2 && d[0] == 0xff && d[1] == 0xfe) {
		f->encoding = "UTF-16LE";
		return imp_transcode(f, "UTF-16LE", d + 2, len - 2, 2,
		    map, conv);
	}
	if (len >= 2 && d[0] == 0xfe && d[1] == 0xff) {
		f->encoding = "UTF-16BE";
		return imp_transcode(f, "UTF-16BE", d + 2, len - 2, 2,
		    map, conv);
	}
	if (len >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
		f->encoding = "UTF-8 with BOM";
		d += 3;
		len -= 3;
	} else if (len >= 2 && (d[0] == 0 || d[1] == 0)) {
		/* PowerShell always writes a BOM with UTF-16; without one
		 * the byte order would be a guess. */
		return imp_file_error(f, "NUL bytes at the start and no byte "
		    "order mark: UTF-16 without a BOM is not supported");
	}
	f->text = (const char *)d;
	f->len = len;
	return 0;
}

static int
imp_parse(const char *file, const void *data, size_t len, bool mapped,
    dp_record_fn fn, void *arg, unsigned long *warnings, bool quiet)
{
	struct imp_file	*f;
	char		*conv = NULL;
	size_t		 i;
	int		 rc = -1;

	/* Heap, not stack: the record buffer makes it over 1 KiB, and the
	 * fuzzers run with small stacks. */
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		dp_err("%s: %s", file, strerror(errno));
		return -1;
	}
	f->name = file;
	f->cls = DP_CLASS_NONE;
	f->fn = fn;
	f->arg = arg;
	f->warnings = warnings;
	f->quiet = quiet;
	if (imp_decode(f, data, len, mapped, &conv) != 0)
		goto out;
	if (mapped && conv == NULL) {
		f->map = data;
		f->map_len = len;
	}
	/* A second byte order mark (a file converted twice, or a BOM
	 * written into a file that had one) is not data: skip it. */
	if (f->len >= 3 && memcmp(f->text, "\xef\xbb\xbf", 3) == 0) {
		while (f->len >= 3 && memcmp(f->text, "\xef\xbb\xbf", 3) == 0) {
			f->text += 3;
			f->len -= 3;
		}
		imp_file_warn(f, "more than one byte order mark at the start "
		    "(converted twice?): skipped");
	}
	for (i = 0; i < f->len; i++) {
		char	 c = f->text[i];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			break;
	}
	/* Nothing but white space: what a failed or interrupted export
	 * leaves (ConvertTo-Json and Export-Csv write nothing for no
	 * objects), never an export to trust.  Refused, so that a broken
	 * pipeline shows in dpctl's exit status and dpLastImportAge. */
	if (i == f->len) {
		imp_file_error(f, "the file is empty (%zu bytes, no JSON or "
		    "CSV in it): not an export; nothing imported", len);
		goto out;
	}
	if (f->text[i] == '[' || f->text[i] == '{')
		rc = imp_json_parse(f);
	else
		rc = imp_csv_parse(f);
	if (rc == 0)
		imp_unknown_summary(f);
	if (rc == 0 && !quiet)
		dp_debug("%s: %s %s, %lu records", file, f->encoding,
		    f->text[i] == '[' || f->text[i] == '{' ? "JSON" : "CSV",
		    f->record_no);
out:
	free(conv);
	free(f);
	return rc;
}

int
dp_import_parse(const char *file, const void *data, size_t len,
    dp_record_fn fn, void *arg, unsigned long *warnings)
{
	return imp_parse(file, data, len, false, fn, arg, warnings, false);
}

/* ---- files and the transaction ------------------------------------------- */

struct imp_buf {
	void		*data;
	size_t		 len;
	bool		 mapped;
};

/*
 * The whole file in memory.  A regular file is mapped: its pages are
 * clean and the kernel can drop them under pressure, where a malloc copy
 * would have to be swapped.  Pipes and the like are read.
 */
static int
imp_load(const char *path, struct imp_buf *b, bool quiet)
{
	struct stat	 sb;
	char		*buf = NULL, *nb;
	size_t		 cap = 0, len = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	memset(b, 0, sizeof(*b));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (!quiet)
			dp_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		if (!quiet)
			dp_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (!quiet)
			dp_err("%s: is a directory", path);
		goto out;
	}
	if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
		if ((uintmax_t)sb.st_size > SIZE_MAX) {
			if (!quiet)
				dp_err("%s: too large", path);
			goto out;
		}
		b->data = mmap(NULL, (size_t)sb.st_size, PROT_READ,
		    MAP_PRIVATE, fd, 0);
		if (b->data == MAP_FAILED) {
			b->data = NULL;
			if (!quiet)
				dp_err("%s: %s", path, strerror(errno));
			goto out;
		}
		(void)madvise(b->data, (size_t)sb.st_size, MADV_SEQUENTIAL);
		b->len = (size_t)sb.st_size;
		b->mapped = true;
		rc = 0;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				if (!quiet)
					dp_err("%s: %s", path,
					    strerror(errno));
				goto out;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (!quiet)
				dp_err("%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	b->data = buf;
	b->len = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static void
imp_unload(struct imp_buf *b)
{
	if (b->mapped)
		munmap(b->data, b->len);
	else
		free(b->data);
	memset(b, 0, sizeof(*b));
}

struct imp_tx {
	struct dp_store	*st;
	bool		 refused;	/* the store refused a record */
	unsigned long	 record_no;
	enum dp_class	 cls;		/* its class */
	char		*key[3];	/* its class key */
	char		 why[512];
};

static int
imp_to_store(const struct dp_record *rec, const char *file,
    unsigned long record_no, void *arg)
{
	struct imp_tx	*tx = arg;

	(void)file;
	if (dp_store_import_record(tx->st, rec) == 0)
		return 0;
	/* Report after the parse, when the earlier records can be
	 * searched for the first of a duplicate key. */
	tx->refused = true;
	tx->record_no = record_no;
	tx->cls = rec->cls;
	tx->key[0] = strdup(rec->package_id);
	tx->key[1] = strdup(rec->server_nal_path);
	tx->key[2] = strdup(rec->site_code);
	snprintf(tx->why, sizeof(tx->why), "%s", dp_store_errmsg(tx->st));
	return -1;
}

struct imp_dup {
	char *const	*key;
	enum dp_class	 cls;
	unsigned long	 stop;		/* records to look at */
	unsigned long	 found;		/* 0: none */
};

static int
imp_find_key(const struct dp_record *rec, const char *file,
    unsigned long record_no, void *arg)
{
	struct imp_dup	*d = arg;

	(void)file;
	if (record_no > d->stop)
		return -1;
	/* As the store compares: without regard to ASCII case (WMI's
	 * keys), within one class. */
	if (rec->cls == d->cls &&
	    strcasecmp(rec->package_id, d->key[0]) == 0 &&
	    strcasecmp(rec->server_nal_path, d->key[1]) == 0 &&
	    strcasecmp(rec->site_code, d->key[2]) == 0) {
		d->found = record_no;
		return -1;
	}
	return 0;
}

/*
 * The store refused record tx->record_no of files[cur].  If an earlier
 * record has the same key, name both.  Re-reading costs time only on this
 * error path; remembering every key would cost memory on every import.
 */
static void
imp_report_refusal(const char *const *files, size_t cur,
    const struct imp_buf *curbuf, const struct imp_tx *tx)
{
	struct imp_dup	 d;
	struct imp_buf	 b;
	size_t		 i;
	char		 pkg[IMP_SHOW_BUF];

	if (tx->key[0] == NULL || tx->key[1] == NULL || tx->key[2] == NULL) {
		dp_err("%s: record %lu: the database refused it: %s",
		    files[cur], tx->record_no, tx->why);
		return;
	}
	d.key = tx->key;
	d.cls = tx->cls;
	d.found = 0;
	for (i = 0; i <= cur && d.found == 0; i++) {
		d.stop = i == cur ? tx->record_no - 1 : ULONG_MAX;
		if (i == cur)
			imp_parse(files[i], curbuf->data, curbuf->len,
			    curbuf->mapped, imp_find_key, &d, NULL, true);
		else if (imp_load(files[i], &b, true) == 0) {
			imp_parse(files[i], b.data, b.len, b.mapped,
			    imp_find_key, &d, NULL, true);
			imp_unload(&b);
		}
	}
	imp_show(tx->key[0], strlen(tx->key[0]), pkg, sizeof(pkg));
	if (d.found == 0)
		dp_err("%s: record %lu (PackageID %s): the database refused "
		    "it: %s", files[cur], tx->record_no, pkg, tx->why);
	else if (i - 1 == cur)
		dp_err("%s: record %lu (PackageID %s): same class key "
		    "(PackageID, ServerNALPath, SiteCode) as record %lu: "
		    "refused", files[cur], tx->record_no, pkg, d.found);
	else
		dp_err("%s: record %lu (PackageID %s): same class key "
		    "(PackageID, ServerNALPath, SiteCode) as record %lu of "
		    "%s: refused", files[cur], tx->record_no, pkg,
		    d.found, files[i - 1]);
}

int
dp_import_files(struct dp_store *st, const char *const *files,
    size_t nfiles, bool snapshot, struct dp_import_counts *counts,
    unsigned long *warnings)
{
	struct dp_import_counts	 c;
	struct imp_tx		 tx;
	struct imp_buf		 b;
	unsigned long		 w = 0;
	bool			 begun = false;
	size_t			 i;
	int			 rc = -1;

	memset(&c, 0, sizeof(c));
	memset(&tx, 0, sizeof(tx));
	memset(&b, 0, sizeof(b));
	tx.st = st;
	if (nfiles == 0) {
		dp_err("import: no files");
		goto out;
	}
	if (dp_store_import_begin(st, snapshot) != 0) {
		dp_err("import: %s", dp_store_errmsg(st));
		goto out;
	}
	begun = true;
	for (i = 0; i < nfiles; i++) {
		if (imp_load(files[i], &b, false) != 0)
			goto out;
		if (imp_parse(files[i], b.data, b.len, b.mapped, imp_to_store,
		    &tx, &w, false) != 0) {
			if (tx.refused)
				imp_report_refusal(files, i, &b, &tx);
			goto out;
		}
		imp_unload(&b);
	}
	begun = false;
	if (dp_store_import_end(st, true, &c) != 0) {
		/* end() has rolled back. */
		dp_err("import: %s", dp_store_errmsg(st));
		goto out;
	}
	/* One line per class the run had records of (the first line for
	 * a run of none, as ever). */
	if (c.records > 0 || c.removed > 0 || c.dist_records == 0)
		dp_info("import: %" PRIu64 " records: %" PRIu64 " inserted, %"
		    PRIu64 " updated, %" PRIu64 " unchanged, %" PRIu64
		    " removed, %lu warnings", c.records, c.inserted,
		    c.updated, c.unchanged, c.removed, w);
	if (c.dist_records > 0 || c.dist_removed > 0)
		dp_info("import: %" PRIu64 " distribution states (%s): %"
		    PRIu64 " inserted, %" PRIu64 " updated, %" PRIu64
		    " unchanged, %" PRIu64 " removed, %lu warnings",
		    c.dist_records, dp_class_name(DP_CLASS_DIST),
		    c.dist_inserted, c.dist_updated, c.dist_unchanged,
		    c.dist_removed, w);
	if (c.kept_pending > 0)
		dp_notice("import: kept %" PRIu64 " ISVString value(s) written "
		    "over SNMP and not yet acknowledged (dpctl pending)",
		    c.kept_pending);
	if (counts != NULL)
		*counts = c;
	rc = 0;
out:
	if (begun)
		dp_store_import_end(st, false, NULL);
	imp_unload(&b);
	for (i = 0; i < 3; i++)
		free(tx.key[i]);
	if (warnings != NULL)
		*warnings += w;
	return rc;
}
