/* refill.c - when to ask the publishers for their history again (refill.h). */
#include "refill.h"

#include <math.h>

void
tw_refill_init(tw_refill *r)
{
    *r = (tw_refill){.wait = 2 * REFILL_FIRST_S};
}

bool
tw_refill_note(tw_refill *r, uint64_t missing, double now)
{
    if (missing == 0) {
        tw_refill_init(r);
        return false;
    }
    if (r->due == 0) { /* a new gap: give it time to fill by itself */
        r->due = now + REFILL_FIRST_S;
        return false;
    }
    if (r->asked >= REFILL_TRIES && missing <= r->last_ask)
        return false; /* nothing new lost since the last request: no more */
    if (now < r->due)
        return false;
    r->asked++;
    r->last_ask = missing;
    r->due = now + r->wait;
    r->wait = fmin(2 * r->wait, REFILL_MAX_WAIT_S);
    return true;
}
