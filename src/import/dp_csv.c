/*
 * dp_csv: what Export-Csv writes for SMS_DistributionPoint objects.
 *
 * A header of property names, then one record per instance, every field
 * quoted, embedded quotes doubled, "True"/"False", numbers in decimal,
 * DMTF datetimes from Get-WmiObject, and "System.Byte[]" for ISVData.
 * libcsv in strict mode does the quoting; records are handled as they
 * complete, so memory is one record whatever the size of the file.
 *
 * libcsv is fed one line at a time: its callbacks cannot stop it, and a
 * line is the unit an error message names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#include "convert/dp_convert.h"
#include "convert/dp_props.h"
#include "import/dp_import_int.h"

static const char PLACEHOLDER[] = "System.Byte[]";

/* More columns than any export of the class has, by far. */
#define CSV_MAX_COLUMNS	4096

struct csv_state {
	struct imp_file	*f;
	int		 status;	/* -1 once a record was refused */
	bool		 header_done;
	unsigned long	 line;		/* line being fed, 1-based */
	unsigned long	 rec_line;	/* the current record's first */

	size_t		 ncols;		/* of the header */
	int		*col_prop;	/* per column: property, or -1 */

	/* Fields of the current record, NUL-terminated in one arena. */
	size_t		 nfields;
	size_t		 fcap;
	size_t		*foff;
	size_t		*flen;
	char		*arena;
	size_t		 alen;
	size_t		 acap;
	bool		 too_many;
};

/* Export-Csv quotes every field: nothing is padding.  libcsv's default
 * would trim spaces around unquoted fields and accept them after quotes. */
static int
csv_no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void
csv_field(void *data, size_t len, void *arg)
{
	struct csv_state	*cs = arg;
	size_t			*no, *nl, ncap;
	char			*na;

	if (cs->status != 0)
		return;
	if (cs->nfields == CSV_MAX_COLUMNS) {
		cs->too_many = true;
		return;
	}
	if (cs->nfields == cs->fcap) {
		ncap = cs->fcap == 0 ? 32 : cs->fcap * 2;
		if ((no = realloc(cs->foff, ncap * sizeof(*no))) == NULL)
			goto nomem;
		cs->foff = no;
		if ((nl = realloc(cs->flen, ncap * sizeof(*nl))) == NULL)
			goto nomem;
		cs->flen = nl;
		cs->fcap = ncap;
	}
	if (cs->acap - cs->alen < len + 1) {
		ncap = cs->acap == 0 ? 4096 : cs->acap;
		while (ncap - cs->alen < len + 1)
			ncap *= 2;
		if ((na = realloc(cs->arena, ncap)) == NULL)
			goto nomem;
		cs->arena = na;
		cs->acap = ncap;
	}
	if (len > 0)
		memcpy(cs->arena + cs->alen, data, len);
	cs->arena[cs->alen + len] = '\0';
	cs->foff[cs->nfields] = cs->alen;
	cs->flen[cs->nfields] = len;
	cs->nfields++;
	cs->alen += len + 1;
	return;
nomem:
	cs->status = imp_file_error(cs->f, "out of memory");
}

static const char *
csv_text(const struct csv_state *cs, size_t i)
{
	return cs->arena + cs->foff[i];
}

/* The delimiter the header line s[0..n) uses outside quotes: ';' when
 * it has ';' and no ',', else ','. */
static unsigned char
header_delim(const char *s, size_t n)
{
	bool	 quoted = false, semi = false;
	size_t	 i;

	for (i = 0; i < n && (quoted || (s[i] != '\n' && s[i] != '\r'));
	    i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == ',')
			return ',';
		else if (!quoted && s[i] == ';')
			semi = true;
	}
	return semi ? ';' : ',';
}

static int
csv_header(struct csv_state *cs)
{
	struct imp_file	*f = cs->f;
	const char	*name;
	size_t		 i, len;
	size_t		 where[DP_P_COUNT];
	int		 prop;

	if ((cs->col_prop = calloc(cs->nfields, sizeof(int))) == NULL)
		return imp_file_error(f, "out of memory");
	cs->ncols = cs->nfields;
	for (i = 0; i < DP_P_COUNT; i++)
		where[i] = 0;
	for (i = 0; i < cs->nfields; i++) {
		name = csv_text(cs, i);
		len = cs->flen[i];
		prop = dp_prop_lookup(name, len);
		cs->col_prop[i] = prop;
		if (prop < 0)
			continue;	/* __PATH, PSComputerName, Cim*, ... */
		if (where[prop] != 0)
			return imp_file_error(f, "line %lu: columns %zu and "
			    "%zu of the header both name %s", cs->rec_line,
			    where[prop], i + 1, dp_props[prop].name);
		where[prop] = i + 1;
	}
	for (i = 0; i < DP_P_COUNT; i++) {
		if (!dp_props[i].is_key || where[i] != 0)
			continue;
		return imp_file_error(f, "line %lu: the header has no %s "
		    "column: not an export of SMS_DistributionPoint or "
		    "SMS_PackageStatusDistPointsSummarizer?",
		    cs->rec_line, dp_props[i].name);
	}
	return 0;
}

static int
csv_value(struct imp_file *f, int prop, const char *s, size_t len)
{
	char		 buf[IMP_SHOW_BUF];
	const char	*why = "invalid";
	bool		 b;
	uint32_t	 u;
	int32_t		 v;

	if (dp_props[prop].kind == DP_K_STRING)
		return imp_set_string(f, prop, s, len);
	/* Export-Csv writes null as an empty field; for a string that is
	 * indistinguishable from "", above. */
	if (len == 0)
		return imp_set_null(f, prop);
	if (!dp_utf8_valid(s, len))
		return imp_error(f, prop, "not valid UTF-8 (or contains a "
		    "NUL character)");
	switch (dp_props[prop].kind) {
	case DP_K_BOOL:
		if (dp_bool_parse(s, &b, &why) != 0)
			break;
		return imp_set_bool(f, prop, b);
	case DP_K_UINT32:
		if (dp_uint32_parse(s, &u, &why) != 0)
			break;
		return imp_set_integer(f, prop, u);
	case DP_K_ENUM:
		if (dp_int32_parse(s, &v, &why) != 0)
			break;
		return imp_set_integer(f, prop, v);
	case DP_K_TIME:
		return imp_set_time(f, prop, s, len);
	case DP_K_BYTES:
		if (strcmp(s, PLACEHOLDER) == 0)
			return imp_bytes_placeholder(f, prop);
		return imp_error(f, prop, "\"%s\": Export-Csv writes a byte "
		    "array as \"System.Byte[]\" or nothing; export ISVData "
		    "as JSON", imp_show(s, len, buf, sizeof(buf)));
	default:
		return imp_error(f, prop, "unhandled property kind");
	}
	return imp_error(f, prop, "\"%s\": %s", imp_show(s, len, buf,
	    sizeof(buf)), why);
}

static int
csv_record(struct csv_state *cs)
{
	struct imp_file	*f = cs->f;
	size_t		 i, pkg = SIZE_MAX;

	imp_record_begin(f);
	if (cs->too_many || cs->nfields != cs->ncols)
		return imp_error(f, -1, "%s%zu fields on line %lu, the header "
		    "has %zu", cs->too_many ? "over " : "", cs->nfields,
		    cs->rec_line, cs->ncols);
	/* PackageID first, so that the other messages can name it.  Every
	 * column names its property for every record (the class). */
	for (i = 0; i < cs->ncols; i++) {
		if (cs->col_prop[i] == DP_P_PACKAGE_ID)
			pkg = i;
		if (cs->col_prop[i] >= 0)
			f->seen |= 1u << cs->col_prop[i];
	}
	if (pkg != SIZE_MAX && csv_value(f, DP_P_PACKAGE_ID,
	    csv_text(cs, pkg), cs->flen[pkg]) != 0)
		return -1;
	for (i = 0; i < cs->ncols; i++) {
		if (cs->col_prop[i] < 0 || i == pkg)
			continue;
		if (csv_value(f, cs->col_prop[i], csv_text(cs, i),
		    cs->flen[i]) != 0)
			return -1;
	}
	return imp_record_end(f);
}

static void
csv_row(int c, void *arg)
{
	struct csv_state	*cs = arg;

	(void)c;
	if (cs->status != 0)
		return;
	if (!cs->header_done) {
		cs->header_done = true;
		cs->status = csv_header(cs);
	} else
		cs->status = csv_record(cs);
	cs->nfields = 0;
	cs->alen = 0;
	cs->too_many = false;
	/* The row ended on this line; the next one starts after it. */
	cs->rec_line = cs->line + 1;
}

int
imp_csv_parse(struct imp_file *f)
{
	struct csv_parser	 p;
	struct csv_state	 cs;
	const char		*s = f->text, *nl;
	size_t			 pos = 0, chunk, done;
	int			 rc = -1;
	unsigned char		 delim = ',';

	memset(&cs, 0, sizeof(cs));
	cs.f = f;
	cs.line = 1;
	cs.rec_line = 1;
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return imp_file_error(f, "out of memory");
	csv_set_space_func(&p, csv_no_space);

	/*
	 * Export-Csv without -NoTypeInformation starts with "#TYPE class".
	 * The data that follows is intact, so skip it; but that is Windows
	 * PowerShell 5.1's default, whose default encoding is ASCII.
	 */
	/* Excel's "sep=;" first line names the delimiter. */
	/* Only a visible delimiter: a quote, a space or a control
	 * character (a newline!) would not be one. */
	if (f->len >= 5 && memcmp(s, "sep=", 4) == 0 && s[4] > ' ' &&
	    s[4] < 0x7f && s[4] != '"' &&
	    (f->len == 5 || s[5] == '\r' || s[5] == '\n')) {
		delim = s[4];
		imp_file_warn(f, "line 1: Excel's \"sep=%c\" line skipped",
		    delim);
		nl = memchr(s, '\n', f->len);
		pos = nl == NULL ? f->len : (size_t)(nl - s) + 1;
		cs.line = cs.rec_line = 2;
	}
	if (f->len - pos >= 5 && memcmp(s + pos, "#TYPE", 5) == 0) {
		imp_file_warn(f, "line %lu: \"#TYPE\" line skipped (Export-Csv "
		    "without -NoTypeInformation); if the file was written "
		    "with Windows PowerShell 5.1's default ASCII encoding, "
		    "every non-ASCII character is now '?': export with "
		    "-Encoding UTF8", cs.line);
		nl = memchr(s + pos, '\n', f->len - pos);
		pos = nl == NULL ? f->len : (size_t)(nl - s) + 1;
		cs.line = cs.rec_line = cs.line + 1;
	}
	/*
	 * Export-Csv -UseCulture writes the culture's list separator, ';'
	 * in much of Europe.  Told by the header line: ';' between fields
	 * and no ',' there (property names contain neither).
	 */
	if (delim == ',' && header_delim(s + pos, f->len - pos) == ';') {
		delim = ';';
		imp_file_warn(f, "line %lu: fields separated by ';' "
		    "(Export-Csv -UseCulture): read as such", cs.line);
	}
	csv_set_delim(&p, delim);
	while (pos < f->len) {
		nl = memchr(s + pos, '\n', f->len - pos);
		chunk = nl == NULL ? f->len - pos : (size_t)(nl - s) + 1 - pos;
		done = csv_parse(&p, s + pos, chunk, csv_field, csv_row, &cs);
		if (cs.status != 0)
			goto out;
		if (done != chunk) {
			if (csv_error(&p) == CSV_EPARSE)
				imp_syntax(f, pos + done, "a quote inside an "
				    "unquoted field, or text after a closing "
				    "quote (%s %lu)", cs.header_done ?
				    "record" : "header, line", cs.header_done ?
				    f->record_no + 1 : cs.rec_line);
			else
				imp_file_error(f, "line %lu: %s", cs.line,
				    csv_strerror(csv_error(&p)));
			goto out;
		}
		pos += chunk;
		cs.line++;
		/* libcsv keeps the open field in its own buffer. */
		imp_progress(f, pos);
	}
	if (csv_fini(&p, csv_field, csv_row, &cs) != 0) {
		if (csv_error(&p) == CSV_EPARSE)
			imp_syntax(f, f->len, "the file ends inside a quoted "
			    "field of record %lu, which began on line %lu "
			    "(an unterminated quote, or a truncated file)",
			    f->record_no + 1, cs.rec_line);
		else
			imp_file_error(f, "%s", csv_strerror(csv_error(&p)));
		goto out;
	}
	if (cs.status != 0)
		goto out;
	if (!cs.header_done || f->record_no == 0)
		imp_file_warn(f, "no records (an empty export)");
	rc = 0;
out:
	csv_free(&p);
	free(cs.col_prop);
	free(cs.foff);
	free(cs.flen);
	free(cs.arena);
	return rc;
}
