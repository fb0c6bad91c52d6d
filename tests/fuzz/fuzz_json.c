/*
 * fuzz_json: the JSON importer on arbitrary bytes, through the whole
 * import path; see fuzz_import.h for the properties checked.  The seeds
 * (corpus/fuzz_json) and the dictionary (fuzz_json.dict) steer it to JSON; any
 * input still goes through encoding and format detection as a file would.
 */
#include "fuzz_import.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fz_run(data, size);
	return 0;
}
