/* refill.h - when to ask the publishers for their history again because records are missing.
 *
 * A subscriber that reads nothing for a while (a monitor stopped with Ctrl-Z, or held up)
 * fills its queue at the publisher, which then skips it rather than wait
 * (publisher_thread.c): the sequence numbers show the records it missed, and nothing sends
 * them again by itself, since the connection never broke. A publisher replays its history to
 * every subscription, and a repeated subscription is passed on (libzmq's SUB sends it again;
 * relays pass every one up), so subscribing again asks for a replay; the replay brings every
 * missing epoch value back and excuses the per-step records it leaves out.
 *
 * This is the policy; the caller counts the records missing from the ranks that can still
 * reply and asks when told. A gap is given REFILL_FIRST_S to be filled by itself (a monitor
 * that joins gets live records before the replay its subscription caused); then comes the
 * first request, and while records stay missing, more at doubling intervals (2, 4, 8, 16 s).
 * After REFILL_TRIES requests it asks again only when more records went missing than were
 * left after the last request (the floor), a second after it saw them at the earliest and at
 * most every REFILL_MAX_WAIT_S: a gap no replay fills costs the publishers a few replays, not
 * one a second. When nothing is missing any more, it starts afresh. While the caller cannot
 * ask safely (tw_refill_hold), the next request waits until a second after it can. Pure: no
 * clock, no I/O; the caller notes the count often (the monitor: every 0.25 s while a run is
 * live). */
#ifndef TW_REFILL_H
#define TW_REFILL_H

#include <stdbool.h>
#include <stdint.h>

#define REFILL_FIRST_S    1.0
#define REFILL_MAX_WAIT_S 16.0
#define REFILL_TRIES      5

typedef struct tw_refill {
    double due;     /* when the next request may go (0: no gap seen) */
    double wait;    /* the interval after the next request */
    uint64_t floor; /* the fewest missing since the last request (or since the gap began) */
    uint32_t asked; /* requests since nothing was missing */
    bool again;     /* after the tries: a request is due for new losses */
} tw_refill;

/* A policy with nothing missing. */
void tw_refill_init(tw_refill *r);

/* Notes that `missing` records are missing at `now` (seconds, any monotonic clock); true when
 * a request should go now (it is then counted as sent). */
bool tw_refill_note(tw_refill *r, uint64_t missing, double now);

/* Notes the count at a time the caller must not ask (it is still reading a backlog): the next
 * request is not due before REFILL_FIRST_S from now. */
void tw_refill_hold(tw_refill *r, uint64_t missing, double now);

#endif
