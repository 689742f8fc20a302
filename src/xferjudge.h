/* Did a dfu-util transfer succeed? Decided from the exit status and the
 * transcript together (spark-cli.md §1.4, dfu-util.md §3.3). Pure.
 *
 * Success: exit 0; or a download whose stdout says "File downloaded
 * successfully" where the only failure afterwards is the get_status error
 * that follows a leave request (the device reset as asked): success with a
 * warning. Anything else is a failure, mapped to an exit code here only
 * coarsely (the diagnosis module, when linked, gives the detailed one). */
#ifndef SF_XFERJUDGE_H
#define SF_XFERJUDGE_H

#include <stdbool.h>

#include "sf_error.h"
#include "transcript.h"

typedef struct sf_xfer_verdict {
	bool ok;
	bool leave_warning;  /* ok, but dfu-util could not confirm the leave */
	int code;            /* exit code when !ok */
	char reason[256];    /* the decisive dfu-util line, or a summary */
} sf_xfer_verdict;

void sf_xfer_judge(const sf_transcript *t, bool upload, bool leave, sf_xfer_verdict *out);

#endif
