/* How often and how long (flash --retries, --deadline, --wait): which
 * failures another attempt can fix, the pause before it, and the arithmetic
 * of one time limit shared by every step of a command. Pure: times are
 * seconds on a monotonic clock the caller reads. */
#ifndef SF_RUNPOLICY_H
#define SF_RUNPOLICY_H

#include <stdbool.h>
#include <stddef.h>

/* The diagnosis id (the judge's, diag.h) that makes a failed attempt worth
 * another one, or NULL. Retried: device-lost, transfer-stalled, device-busy,
 * write-failed, erase-failed as the first diagnosis of a failure, and
 * leave-unconfirmed when `verify` was asked (the leave step of a verified
 * write was not confirmed). Never: success (exit 0), a refusal (3),
 * permission (5), dfu-util missing (8), a verify mismatch (7: a device that
 * ignores writes mismatches again), no device (4), a time limit (9), an
 * interruption (128+N), or any other diagnosis. */
const char *sf_retry_reason(int exit_code, const char *const *ids, size_t nids, bool verify);

/* Seconds to wait before retry number `attempt` (1 = the first retry):
 * 0.5, 1, 2, 4, then 5 (the cap). */
double sf_retry_delay(unsigned attempt);

/* A time limit: `deadline` is an absolute time, 0 = none. */

/* Seconds left (never negative); a very large number without a deadline. */
double sf_deadline_left(double deadline, double now);

/* True once the deadline has passed. */
bool sf_deadline_passed(double deadline, double now);

/* The limit for one step: the smaller of `limit` (seconds, 0 = none) and
 * what is left before the deadline; 0 = no limit at all. A passed deadline
 * gives a tiny positive limit, never 0. */
double sf_deadline_clip(double limit, double deadline, double now);

/* The absolute deadline `seconds` from `now` (0 seconds = none: 0). */
double sf_deadline_at(double seconds, double now);

#endif
