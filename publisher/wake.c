/* wake.c - the background thread's doorbell (wake.h): an eventfd, or a pipe without one. */
#define _GNU_SOURCE
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

int
tw_wake_init(tw_wake *w)
{
    w->rfd = w->wfd = -1;
#ifdef __linux__
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd >= 0) {
        w->rfd = w->wfd = fd;
        return 0;
    }
#endif
    int fds[2];
    if (pipe(fds) != 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
        fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    }
    w->rfd = fds[0];
    w->wfd = fds[1];
    return 0;
}

void
tw_wake_post(tw_wake *w)
{
    if (w->wfd < 0)
        return;
    /* An eventfd takes an 8-byte count, a pipe any bytes; EAGAIN means it is rung already. */
    uint64_t one = 1;
    ssize_t n;
    do
        n = write(w->wfd, &one, w->wfd == w->rfd ? sizeof one : 1);
    while (n < 0 && errno == EINTR);
}

void
tw_wake_clear(tw_wake *w)
{
    if (w->rfd < 0)
        return;
    uint64_t buf[8];
    for (;;) {
        ssize_t n = read(w->rfd, buf, w->wfd == w->rfd ? sizeof buf[0] : sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || w->wfd == w->rfd) /* an eventfd's one read takes the whole count */
            break;
    }
}

void
tw_wake_fini(tw_wake *w)
{
    if (w->wfd >= 0 && w->wfd != w->rfd)
        close(w->wfd);
    if (w->rfd >= 0)
        close(w->rfd);
    w->rfd = w->wfd = -1;
}
