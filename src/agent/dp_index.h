/*
 * dp_index: OIDs <-> lookups in the model, for the scalars and the three
 * tables of DISTRIBUTION-POINT-MIB.  Pure functions over sub-identifiers
 * (no agent state), so they are unit-tested without a master.
 *
 * A "part" is the scalar group or one table.  Its instances are
 *   prefix . column . index...
 * where prefix is dpScalars (index: the single sub-identifier 0) or a
 * table's entry OID (one or two integer indexes).  GETNEXT turns any OID
 * into "the first row strictly after this index in this column", which the
 * model answers with one B-tree seek.
 */
#ifndef DP_INDEX_H
#define DP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/types.h>

#include "agent/dp_oids.h"

#define DP_INDEX_MAX 2

/* The longest prefix dp_index_prefix() writes: dpMIB.1.part.entry. */
#define DP_PREFIX_MAX (DP_MIB_ROOT_LEN + 3)

struct dp_shape {
	unsigned	first_col;	/* lowest readable column */
	unsigned	last_col;	/* highest readable column */
	uint64_t	readable;	/* bit c: column c answers GETs */
	unsigned	nindex;		/* sub-identifiers of an index: 1, 2 */
	int64_t		index_min;	/* lowest valid index value */
	int64_t		index_max;	/* highest valid index value */
};

/* Result of classifying a GET. */
enum dp_get_result {
	DP_GET_OK,
	DP_GET_NO_OBJECT,	/* noSuchObject: no such readable column */
	DP_GET_NO_INSTANCE	/* noSuchInstance: not a valid index */
};

/* For GET: suffix is the OID after the part's prefix. */
enum dp_get_result dp_index_get(const struct dp_shape *sh, const oid *suffix,
	    size_t len, unsigned *col, int64_t idx[DP_INDEX_MAX]);

/*
 * For GETNEXT: where to search.  Returns 1 with the column and the index
 * after which to look (strictly greater; missing sub-identifiers are -1),
 * or 0 when the OID lies past the part.  inclusive (an AgentX search
 * range that includes its start) makes an exact instance a candidate.
 * suffix may be NULL with len 0: "from the start of the part".
 */
int	dp_index_next(const struct dp_shape *sh, const oid *suffix, size_t len,
	    int inclusive, unsigned *col, int64_t after[DP_INDEX_MAX]);

/* The next readable column after col, or 0 when there is none. */
unsigned dp_index_next_col(const struct dp_shape *sh, unsigned col);

/*
 * The one place OIDs under dpMIB are built: dpMIB.arc[.part[.sub]], where
 * a part or sub of 0 is left out (dpObjects.part.1 is a table's entry,
 * dpObjects.part a scalar group, dpNotifications.n a notification's
 * snmpTrapOID.0 value).  Returns the length; instances follow with
 * dp_index_oid().
 */
size_t	dp_index_prefix(oid out[DP_PREFIX_MAX], unsigned arc, unsigned part,
	    unsigned sub);

/* Writes prefix.col.idx... to out (capacity outcap); returns the length,
 * or 0 when it does not fit. */
size_t	dp_index_oid(oid *out, size_t outcap, const oid *prefix,
	    size_t prefix_len, unsigned col, const int64_t idx[DP_INDEX_MAX],
	    unsigned nindex);

/* Compares two OIDs like snmp_oid_compare(): <0, 0, >0. */
int	dp_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen);

#endif
