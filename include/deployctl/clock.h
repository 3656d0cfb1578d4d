/*
 * clock.h - the monotonic clock every deadline, timeout and duration is
 * measured with (never the wall clock, which NTP may step).
 */
#ifndef DEPLOYCTL_CLOCK_H
#define DEPLOYCTL_CLOCK_H

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

#endif
