#include <config.h>

#include <string.h>

#include "runpolicy.h"
#include "sf_error.h"

/* Failures of the link or of the flash itself that a fresh attempt (a new
 * listing, a new dfu-util run) can get past. */
static const char *const retryable[] = {
	"device-lost", "transfer-stalled", "device-busy", "write-failed", "erase-failed",
};

const char *sf_retry_reason(int exit_code, const char *const *ids, size_t nids, bool verify)
{
	if (exit_code == SF_EXIT_OK || exit_code == SF_EXIT_REFUSED || exit_code == SF_EXIT_PERMISSION ||
	    exit_code == SF_EXIT_DFU_UTIL || exit_code == SF_EXIT_VERIFY || exit_code == SF_EXIT_NO_DEVICE ||
	    exit_code == SF_EXIT_TIMEOUT || exit_code == SF_EXIT_USAGE || exit_code == SF_EXIT_INTERNAL ||
	    exit_code > SF_EXIT_SIGNAL_BASE || !ids)
		return NULL;
	/* the judge puts the decisive error first */
	if (nids && ids[0])
		for (size_t k = 0; k < sizeof retryable / sizeof retryable[0]; k++)
			if (!strcmp(ids[0], retryable[k]))
				return retryable[k];
	if (verify)
		for (size_t i = 0; i < nids; i++)
			if (ids[i] && !strcmp(ids[i], "leave-unconfirmed"))
				return "leave-unconfirmed";
	return NULL;
}

double sf_retry_delay(unsigned attempt)
{
	double d = 0.5;
	for (unsigned i = 1; i < attempt && d < 5.0; i++)
		d *= 2;
	return d > 5.0 ? 5.0 : d;
}

double sf_deadline_left(double deadline, double now)
{
	if (deadline <= 0)
		return 1e12;
	return deadline > now ? deadline - now : 0;
}

bool sf_deadline_passed(double deadline, double now)
{
	return deadline > 0 && now >= deadline;
}

double sf_deadline_clip(double limit, double deadline, double now)
{
	double left;
	if (deadline <= 0)
		return limit > 0 ? limit : 0;
	left = sf_deadline_left(deadline, now);
	if (left < 0.001)
		left = 0.001;
	return limit > 0 && limit < left ? limit : left;
}

double sf_deadline_at(double seconds, double now)
{
	return seconds > 0 ? now + seconds : 0;
}
