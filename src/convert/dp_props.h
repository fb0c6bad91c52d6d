/*
 * dp_props: the properties of the WMI class SMS_DistributionPoint, their
 * kinds and the size limits that DISTRIBUTION-POINT-MIB puts on them, as
 * src/model/dp_columns.h defines them.
 *
 * Every limit here is an OCTET limit and must equal the SIZE of the
 * corresponding object in mibs/DISTRIBUTION-POINT-MIB.txt (tests/mib and
 * tests/unit/check_columns.c check).  The limits are named because other
 * tables (dpServerTable, dpPackageTable, the outbox, the events) share
 * them; a new property may as well give its limit as a number in the
 * column table.
 */
#ifndef DP_PROPS_H
#define DP_PROPS_H

#include <stddef.h>
#include <stdint.h>

#include "model/dp_columns.h"

enum dp_prop_kind {
	DP_K_BOOL,	/* WMI Boolean -> TruthValue */
	DP_K_BYTES,	/* WMI UInt8[] -> OCTET STRING */
	DP_K_UINT32,	/* WMI UInt32 -> Unsigned32 */
	DP_K_ENUM,	/* WMI UInt32 enumeration -> Integer32-based TC */
	DP_K_STRING,	/* WMI String -> UTF-8 OCTET STRING */
	DP_K_TIME	/* WMI DateTime -> DateAndTime */
};

/* Octet limits, equal to the MIB's SIZE clauses. */
#define DP_MAX_PACKAGE_ID	64
#define DP_MAX_NAL_PATH		1024
#define DP_MAX_SITE_CODE	3
#define DP_MAX_SOURCE_SITE	3
#define DP_MAX_SITE_NAME	255
#define DP_MAX_ISV_STRING	512
#define DP_MAX_RESOURCE_TYPE	255
#define DP_MAX_SECURE_OBJECT_ID	255
#define DP_MAX_ISV_DATA		1024
#define DP_MAX_SERVER_NAME	255

/*
 * The properties of both classes, each once: SMS_DistributionPoint's in
 * dpEntry column order, then those only SMS_PackageStatusDistPoints-
 * Summarizer has (the key, PackageType and SecureObjectID are common).
 */
#define DP_P_ENUM_(id, ...) DP_P_##id,
enum dp_prop {
	DP_COLUMNS(DP_P_ENUM_, DP_IGNORE, DP_IGNORE)
	DP_DIST_COLUMNS(DP_IGNORE, DP_P_ENUM_, DP_IGNORE, DP_IGNORE)
	DP_DIST_EXTRA(DP_P_ENUM_, DP_IGNORE)
	DP_P_COUNT
};
#undef DP_P_ENUM_

/* The classes an export may hold, told apart by their properties (a
 * zeroed record is of the first). */
enum dp_class {
	DP_CLASS_DP,		/* SMS_DistributionPoint */
	DP_CLASS_DIST,		/* SMS_PackageStatusDistPointsSummarizer */
	DP_CLASS_NONE		/* not known yet */
};

/* The WMI name of a class. */
const char *dp_class_name(enum dp_class c);

/* The properties of each class, as bits 1u << enum dp_prop. */
#define DP_PROP_BIT_(id, ...) | (1u << DP_P_##id)
#define DP_PROPS_OF_DP \
	(0u DP_COLUMNS(DP_PROP_BIT_, DP_IGNORE, DP_IGNORE))
#define DP_PROPS_OF_DIST \
	(0u DP_DIST_COLUMNS(DP_PROP_BIT_, DP_PROP_BIT_, DP_IGNORE, \
	    DP_IGNORE) DP_DIST_EXTRA(DP_PROP_BIT_, DP_PROP_BIT_))

/* struct dp_record's `present' is a 32-bit mask of them. */
_Static_assert(DP_P_COUNT <= 32, "more properties than dp_record.present "
    "has bits");

struct dp_prop_info {
	const char		*name;	  /* WMI name: "BitsEnabled" */
	enum dp_prop_kind	 kind;
	size_t			 max_len; /* octets, strings and bytes */
	int			 is_key;  /* part of the class key */
	int			 required; /* every record needs a value */
	unsigned		 mib_col; /* its dpEntry or dpDistEntry
					   * column; 0 none */
	/* For DP_K_ENUM: the name of a value the MIB enumerates, or NULL
	 * for one ConfigMgr may have added since. */
	const char		*(*labels)(int64_t v);
};

extern const struct dp_prop_info dp_props[DP_P_COUNT];

/* Case-insensitive lookup by WMI name (PowerShell property names are not
 * case-sensitive); returns -1 for a property the class does not have. */
int	dp_prop_lookup(const char *name, size_t len);

#endif
