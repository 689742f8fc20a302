#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_retry.h"

long sf_retry_backoff_ms(const sf_retry_policy *p, int attempt, double jitter01)
{
	long d = p->base_ms;
	for (int i = 1; i < attempt && d < p->cap_ms; i++)
		d *= 2;
	if (d > p->cap_ms)
		d = p->cap_ms;
	if (jitter01 > 0 && jitter01 < 1)
		d += (long)((double)d * 0.25 * jitter01);
	if (d > p->cap_ms)
		d = p->cap_ms;
	return d;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), no libc time zone. */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

bool sf_parse_retry_after(const char *v, time_t now, long *seconds)
{
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	char wd[4], mon[4], tz[4];
	int day, year, hh, mm, ss, n = 0;
	if (!v)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	if (isdigit((unsigned char)*v)) {
		long s = 0;
		const char *c = v;
		for (; isdigit((unsigned char)*c); c++) {
			if (s > 100000000L)
				return false;
			s = s * 10 + (*c - '0');
		}
		while (*c == ' ' || *c == '\t')
			c++;
		if (*c)
			return false;
		*seconds = s;
		return true;
	}
	if (sscanf(v, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n",
		   wd, &day, mon, &year, &hh, &mm, &ss, tz, &n) != 8 || v[n] != '\0')
		return false;
	if (strcmp(tz, "GMT") || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
		return false;
	for (int m = 0; m < 12; m++) {
		if (!strcmp(mon, months[m])) {
			long t = days_from_civil(year, (unsigned)m + 1, (unsigned)day) * 86400L +
				 hh * 3600L + mm * 60L + ss;
			long d = t - (long)now;
			*seconds = d > 0 ? d : 0;
			return true;
		}
	}
	return false;
}

bool sf_retry_decide(const sf_retry_policy *p, sf_req_kind kind, int attempt, sf_fail_kind fail,
		     long http_status, const char *retry_after, time_t now, double jitter01,
		     long *delay_ms)
{
	bool retry = false;
	long ra;
	if (attempt >= p->max_attempts)
		return false;
	switch (fail) {
	case SF_FAIL_CONNECT:
		retry = true; /* nothing reached the server */
		break;
	case SF_FAIL_TRANSPORT:
		retry = kind == SF_REQ_GET || kind == SF_REQ_DELETE;
		break;
	case SF_FAIL_TLS:
	case SF_FAIL_TIMEOUT:
		retry = false;
		break;
	case SF_FAIL_NONE:
		if (kind == SF_REQ_GET || kind == SF_REQ_DELETE)
			retry = http_status == 429 || http_status == 502 || http_status == 503 ||
				http_status == 504;
		else if (kind == SF_REQ_PUT || kind == SF_REQ_POST || kind == SF_REQ_COMPILE)
			retry = http_status == 429 || http_status == 503;
		else
			retry = false;
		break;
	}
	if (!retry)
		return false;
	*delay_ms = sf_retry_backoff_ms(p, attempt, jitter01);
	if (fail == SF_FAIL_NONE && retry_after && sf_parse_retry_after(retry_after, now, &ra)) {
		if (ra * 1000 > p->max_retry_after_ms)
			return false; /* too long to wait: report it */
		*delay_ms = ra * 1000;
	}
	return true;
}
