/*
 * log.h - diagnostics on stderr. Only main.c and cmd_*.c log above debug.
 */
#ifndef DEPLOYCTL_LOG_H
#define DEPLOYCTL_LOG_H

enum log_level { LOG_LEVEL_QUIET = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends ": strerror(errno)". */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
