/* wire_fast.c - the decoder's fast path: an UPDATE or EPOCH record in the encoder's exact
 * layout read in one pass, validated by the same rules as the general parser (wire_decode.c).
 *
 * Design note. Nearly every record of a run (log or stream) is an UPDATE or EPOCH written by
 * our encoder: a fixmap of 7 entries whose keys come in one order, so one straight walk reads
 * it, comparing each key's bytes (with its fixstr tag) to a constant. Anything else (another
 * order, an unknown or repeated key, a signed or float integer, a longer state) is left to the
 * general parser, which then decides; so this path only ever accepts what the general parser
 * accepts, with the same values, and rejects nothing itself. The walk is in wire_fast.h, in
 * two halves (the layout, then the values), which the run log's transform uses too. */
#include "wire_fast.h"

bool
tw_wire_fast_record(tw_wire_cursor *c, tw_wire_fast *f)
{
    tw_wire_fast_at a;
    if (!tw_wire_fast_match(c->p, (size_t)(c->end - c->p), &a) || !tw_wire_fast_from(c->p, &a, f))
        return false;
    c->p = f->next;
    return true;
}
