/* refill.c - when to ask the publishers for their history again (refill.h). */
#include "refill.h"

#include <math.h>

void
tw_refill_init(tw_refill *r)
{
    *r = (tw_refill){.wait = 2 * REFILL_FIRST_S};
}

/* The count seen: a new gap starts its first wait; a count that drops (a replay filled part)
 * lowers the floor that new losses are measured from. False when nothing is missing. */
static bool
seen(tw_refill *r, uint64_t missing, double now)
{
    if (missing == 0) {
        tw_refill_init(r);
        return false;
    }
    if (r->due == 0) { /* a new gap: give it time to fill by itself */
        r->due = now + REFILL_FIRST_S;
        r->floor = missing;
    }
    if (missing < r->floor)
        r->floor = missing;
    return true;
}

void
tw_refill_hold(tw_refill *r, uint64_t missing, double now)
{
    if (seen(r, missing, now))
        r->due = fmax(r->due, now + REFILL_FIRST_S);
}

bool
tw_refill_note(tw_refill *r, uint64_t missing, double now)
{
    if (!seen(r, missing, now))
        return false;
    if (r->asked >= REFILL_TRIES) {
        if (missing <= r->floor)
            return false; /* nothing lost since the last request took effect: no more */
        /* more lost: one more request, a second from now at the earliest */
        r->asked = REFILL_TRIES - 1;
        r->again = true;
        r->due = fmax(r->due, now + REFILL_FIRST_S);
    } else if (r->again && missing <= r->floor) {
        r->asked = REFILL_TRIES; /* the new losses were filled by themselves */
        r->again = false;
        return false;
    }
    if (now < r->due)
        return false;
    r->asked++;
    r->again = false;
    r->floor = missing;
    r->due = now + r->wait;
    r->wait = fmin(2 * r->wait, REFILL_MAX_WAIT_S);
    return true;
}
