/* timeutil.h - UTC time parsing and formatting (pure) and the one clock read (mt_clock_now). */
#ifndef MT_COMMON_TIMEUTIL_H
#define MT_COMMON_TIMEUTIL_H

#include <time.h>

/* The current time (the only clock read in mytools). */
time_t mt_clock_now(void);
/* Parses ISO 8601 / RFC 3339 timestamps as the AWS tools write them: "2026-11-22T09:51:00Z",
 * fractional seconds ("...00.123Z"), numeric offsets ("+00:00", "-0130"), "UTC" suffix.
 * Returns 0 and sets *out, or -1. */
int mt_time_parse_iso8601(const char *s, time_t *out);
/* "2026-11-22T09:51:00Z" into out (at least 21 bytes). */
void mt_time_format_iso8601(time_t t, char out[21]);
/* SigV4 basic format "20260102T030405Z" into out (17 bytes). */
void mt_time_format_amz(time_t t, char out[17]);
/* RFC 7231 IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" (the HTTP Date header). 0 or -1. */
int mt_time_parse_http_date(const char *s, time_t *out);
/* Days-from-civil; timegm without the TZ dependency. */
time_t mt_timegm(const struct tm *tm);

#endif
