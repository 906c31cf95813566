/*
 * libFuzzer harness of visits_diff (src/core/visits.h): the changes from a stored year plan to a
 * new one. The input is decoded into a stored plan and a new one by visits_diff_check_bytes
 * (test/core/visits_diff_check.h), which checks: applying the changes to the stored plan gives
 * exactly the new plan (with the pinned visits), with the fewest changes, so that a visit made
 * again keeps its id; a set is dropped exactly when no visit has it; planning the changed year
 * again with the same new plan gives no changes and the same set ids.
 */
#include "fuzz.h"
#include "../core/visits_diff_check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = visits_diff_check_bytes(data, size);

	CHECK(msg == NULL, "%s", msg);
	return 0;
}
