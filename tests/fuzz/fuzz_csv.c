/*
 * fuzz_csv: the CSV importer on arbitrary bytes, through the whole
 * import path; see fuzz_import.h for the properties checked.  The seeds
 * (corpus/fuzz_csv) and the dictionary (fuzz_csv.dict) steer it to CSV; any
 * input still goes through encoding and format detection as a file would.
 */
#include "fuzz_import.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run(data, size);
	return 0;
}
