/*
 * Internals shared by the import front end (dp_import.c) and the two
 * format readers (dp_json.c, dp_csv.c).  Not installed, not a contract.
 *
 * A reader walks one file and, for each record, calls imp_record_begin(),
 * then one imp_set_*() per property it finds (PackageID first, so that
 * every later message can name it), then imp_record_end().  The setters
 * do every check the MIB implies (UTF-8, octet limits, ranges, dates), so
 * that JSON and CSV refuse and warn in exactly the same words.
 */
#ifndef DP_IMPORT_INT_H
#define DP_IMPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "import/dp_import.h"

/* Longest excerpt of a value quoted in a message, in octets. */
#define IMP_SHOW_MAX	64

/* Distinct unknown enumeration values remembered per file. */
#define IMP_UNKNOWN_MAX	32

struct imp_file {
	const char	*name;		/* as given, for messages */
	const char	*text;		/* UTF-8 without BOM */
	size_t		 len;
	const char	*encoding;	/* as read, for debug */
	dp_record_fn	 fn;
	void		*arg;
	unsigned long	*warnings;	/* may be NULL */
	bool		 quiet;		/* re-reading: log nothing */

	/* When text lies in a read-only file mapping: what is behind the
	 * reader can be given back (imp_progress). */
	const char	*map;
	size_t		 map_len;
	size_t		 map_dropped;

	unsigned long	 record_no;	/* 1-based; 0: none yet */
	enum dp_class	 cls;		/* of the file's records so far */
	unsigned long	 cls_record;	/* the first record that said so */
	unsigned long	 placeholders;	/* "System.Byte[]" seen */

	/* Values outside the MIB's enumerations, warned once each. */
	struct imp_unknown {
		int		 prop;
		int32_t		 value;
		unsigned long	 first;		/* record */
		unsigned long	 count;
	}		 unknown[IMP_UNKNOWN_MAX];
	size_t		 nunknown;

	/* The record being built. */
	struct dp_record rec;
	uint32_t	 seen;		/* properties in this record */
	const char	*package_id;	/* once valid, for messages */
	uint8_t		 isv[DP_MAX_ISV_DATA];
};

int	imp_json_parse(struct imp_file *f);
int	imp_csv_parse(struct imp_file *f);

/* The reader is done with text before offset off. */
void	imp_progress(struct imp_file *f, size_t off);

void	imp_record_begin(struct imp_file *f);
int	imp_record_end(struct imp_file *f);

/* Each returns 0, or -1 after logging why the record is refused. */
int	imp_claim(struct imp_file *f, int prop, const char *given);
int	imp_set_null(struct imp_file *f, int prop);
int	imp_set_string(struct imp_file *f, int prop, const char *s,
	    size_t len);
int	imp_set_bool(struct imp_file *f, int prop, bool v);
int	imp_set_integer(struct imp_file *f, int prop, int64_t v);
int	imp_set_time(struct imp_file *f, int prop, const char *s,
	    size_t len);
int	imp_set_bytes(struct imp_file *f, int prop, size_t len);
int	imp_bytes_placeholder(struct imp_file *f, int prop);

/*
 * Messages.  imp_error() and imp_warn() name the file, the current record
 * (and its PackageID once known) and, for prop >= 0, the field.
 * imp_syntax() names the file and the line and column of text offset off.
 * imp_file_error() names only the file.  The error functions return -1.
 */
int	imp_error(struct imp_file *f, int prop, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	imp_warn(struct imp_file *f, int prop, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	imp_syntax(struct imp_file *f, size_t off, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	imp_file_error(struct imp_file *f, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	imp_file_warn(struct imp_file *f, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* A printable excerpt of s[0..n) (control octets and invalid UTF-8
 * escaped, long values cut) in buf, for quoting in messages. */
const char *imp_show(const char *s, size_t n, char *buf, size_t buflen);

#define IMP_SHOW_BUF	(IMP_SHOW_MAX * 4 + 8)

#endif
