#include "agent/dp_index.h"

#include <string.h>

static int
readable(const struct dp_shape *sh, oid col)
{
	return col >= sh->first_col && col <= sh->last_col && col < 64 &&
	    ((sh->readable >> col) & 1);
}

/* A sub-identifier as an index value; anything above 2^32 - 1 is clamped
 * to 2^32, which sorts after every valid index. */
static int64_t
subid_value(oid v)
{
	return v > 0xffffffffUL ? (int64_t)0x100000000LL : (int64_t)v;
}

enum dp_get_result
dp_index_get(const struct dp_shape *sh, const oid *suffix, size_t len,
    unsigned *col, int64_t idx[DP_INDEX_MAX])
{
	if (len < 1 || !readable(sh, suffix[0]))
		return DP_GET_NO_OBJECT;
	if (len != 1 + sh->nindex)
		return DP_GET_NO_INSTANCE;
	for (unsigned i = 0; i < sh->nindex; i++) {
		int64_t v = subid_value(suffix[1 + i]);

		if (v < sh->index_min || v > sh->index_max)
			return DP_GET_NO_INSTANCE;
		idx[i] = v;
	}
	*col = (unsigned)suffix[0];
	return DP_GET_OK;
}

unsigned
dp_index_next_col(const struct dp_shape *sh, unsigned col)
{
	for (unsigned c = col + 1; c <= sh->last_col; c++)
		if (readable(sh, c))
			return c;
	return 0;
}

int
dp_index_next(const struct dp_shape *sh, const oid *suffix, size_t len,
    int inclusive, unsigned *col, int64_t after[DP_INDEX_MAX])
{
	size_t given;

	for (unsigned i = 0; i < DP_INDEX_MAX; i++)
		after[i] = -1;
	if (len == 0 || suffix[0] < sh->first_col) {
		*col = sh->first_col;
		return 1;
	}
	if (suffix[0] > sh->last_col)
		return 0;
	if (!readable(sh, suffix[0])) {
		/* Between readable columns: the next one, from its start. */
		*col = dp_index_next_col(sh, (unsigned)suffix[0]);
		return *col != 0;
	}
	*col = (unsigned)suffix[0];
	given = len - 1;
	if (given > sh->nindex)
		given = sh->nindex;
	for (size_t i = 0; i < given; i++)
		after[i] = subid_value(suffix[1 + i]);
	/*
	 * prefix.col.i1 sorts before every prefix.col.i1.x, so a short index
	 * means "from i1 on": the -1 left in the missing places does that.
	 * A full index means strictly after it, or from it when the search
	 * range is inclusive; longer OIDs sort after the full index.
	 */
	if (len == 1 + sh->nindex && inclusive)
		after[sh->nindex - 1]--;
	return 1;
}

size_t
dp_index_prefix(oid out[DP_PREFIX_MAX], unsigned arc, unsigned part,
    unsigned sub)
{
	static const oid root[] = { DP_MIB_ROOT };
	size_t n = DP_MIB_ROOT_LEN;

	memcpy(out, root, sizeof(root));
	out[n++] = arc;
	if (part != 0)
		out[n++] = part;
	if (sub != 0)
		out[n++] = sub;
	return n;
}

size_t
dp_index_oid(oid *out, size_t outcap, const oid *prefix, size_t prefix_len,
    unsigned col, const int64_t idx[DP_INDEX_MAX], unsigned nindex)
{
	size_t n = prefix_len + 1 + nindex;

	if (n > outcap)
		return 0;
	memcpy(out, prefix, prefix_len * sizeof(oid));
	out[prefix_len] = col;
	for (unsigned i = 0; i < nindex; i++)
		out[prefix_len + 1 + i] = (oid)idx[i];
	return n;
}

int
dp_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}
