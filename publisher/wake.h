/* wake.h - a pollable doorbell: one thread rings it, the publisher's background thread waits
 * for it (beside its socket) in poll.
 *
 * Design note. An eventfd on Linux, a pipe elsewhere; both ends non-blocking, so that ringing
 * never blocks the caller (a full pipe or a saturated counter means it is rung already). The
 * training thread rings it for the rare events that are not ring records (an epoch closed, a
 * metric or parameter added, the first step, destroy); never for a ring record (a push makes
 * no system call: the thread looks at the ring on its own schedule, publisher_thread.c). */
#ifndef TW_WAKE_H
#define TW_WAKE_H

typedef struct tw_wake {
    int rfd, wfd; /* the same descriptor for an eventfd; -1 when closed */
} tw_wake;

/* Opens the doorbell. Returns 0 or a negative errno. */
int tw_wake_init(tw_wake *w);

/* Rings it: one write, never blocks. Safe from any thread; a no-op when closed. */
void tw_wake_post(tw_wake *w);

/* Reads every ring away (after poll said the descriptor is readable). */
void tw_wake_clear(tw_wake *w);

/* Closes it; then rfd and wfd are -1. Safe twice, and on a tw_wake never opened whose rfd and
 * wfd its owner set to -1 (not on a zeroed one: that would close descriptor 0). */
void tw_wake_fini(tw_wake *w);

#endif
