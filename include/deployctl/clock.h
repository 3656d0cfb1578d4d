/*
 * clock.h - the monotonic clock every deadline, timeout and duration is
 * measured with (never the wall clock, which NTP may step), and the one
 * calendar sum the UTC timestamps we read (Docker's, certificates', --since)
 * need.
 */
#ifndef DEPLOYCTL_CLOCK_H
#define DEPLOYCTL_CLOCK_H

#include <stdint.h>

/* Seconds since an arbitrary fixed point, monotonic. */
double clock_mono(void);

/* The same in milliseconds. */
long clock_mono_ms(void);

/*
 * Sleep ms milliseconds (nothing when ms <= 0). A signal cuts the sleep
 * short, so that a caller waiting in a loop notices a stop request at once;
 * callers loop on their own deadline.
 */
void clock_sleep_ms(long ms);

/*
 * Days since 1970-01-01 of the proleptic Gregorian date y-m-d (H. Hinnant's
 * days_from_civil); m is 1..12, d 1..31, unchecked: callers parse and check.
 * Pure, no time zone: with h, m, s it makes a UTC time unix seconds.
 */
int64_t clock_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
