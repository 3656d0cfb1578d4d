/*
 * fdio.h - whole writes to a file descriptor: the one loop of write(2) that
 * retries on EINTR and a short write (util/fdio.c), for the files deployctl
 * writes, the exec stream and the Engine's hijacked connection.
 */
#ifndef DEPLOYCTL_FDIO_H
#define DEPLOYCTL_FDIO_H

#include <stddef.h>

/* Write all len bytes of p to fd: 0, or -1 with errno set (a write of 0 gives EIO). */
int fd_write_all(int fd, const void *p, size_t len);

#endif
