/*
 * dp_import: PowerShell exports of SMS_DistributionPoint -> the model.
 *
 * Reads what ConvertTo-Json (Windows PowerShell 5.1 and PowerShell 7) and
 * Export-Csv -NoTypeInformation write for Get-CimInstance / Get-WmiObject,
 * in UTF-8 (with or without BOM) or UTF-16LE/BE with BOM.  Every value is
 * converted and validated against DISTRIBUTION-POINT-MIB before anything is
 * written; one import is one transaction, so a bad file leaves the
 * database unchanged.  Errors and warnings go through dp_log and name the
 * file, the record (number and PackageID) and the field:
 *
 *   exports/dp.csv: record 12 (PackageID PS100034): field LastRefreshTime:
 *       "5/1/2024 10:00:00 AM" is not a DMTF, ISO 8601 or /Date()/ time
 */
#ifndef DP_IMPORT_H
#define DP_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "model/dp_store.h"

/* Called for each valid record; returning -1 stops the parse (the callee
 * has logged why). record_no counts from 1 in file order. */
typedef int (*dp_record_fn)(const struct dp_record *rec, const char *file,
    unsigned long record_no, void *arg);

/*
 * Parses one export held in memory (any supported encoding and format)
 * and calls fn for each record, in order.  Returns 0 when every record was
 * valid and accepted, -1 otherwise (after logging the error).  `warnings`
 * (if not NULL) is incremented once per warning logged.  Needs no
 * database: the fuzzers and unit tests call it directly.
 */
int	dp_import_parse(const char *file, const void *data, size_t len,
	    dp_record_fn fn, void *arg, unsigned long *warnings);

/*
 * Imports files into the store in one transaction (all or nothing).  With
 * snapshot the files hold the complete set: rows they do not name are
 * removed.  Records the time of the import in the model on success.
 */
int	dp_import_files(struct dp_store *st, const char *const *files,
	    size_t nfiles, bool snapshot, struct dp_import_counts *counts,
	    unsigned long *warnings);

#endif
