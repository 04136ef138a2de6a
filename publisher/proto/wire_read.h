/* wire_read.h - the decoder's bounded msgpack reading primitives, shared by wire_read.c (which
 * defines them) and wire_decode.c (which reads the protocol with them). Private to the
 * decoder: not a public header, callers use wire.h.
 *
 * Every primitive reads at the cursor, checks the bytes left before it reads, moves the
 * cursor past what it read on success, and returns 0 or TW_WIRE_BAD (-EBADMSG). On failure
 * the cursor may have moved: the message is rejected whole, so it is never read again. */
#ifndef TW_WIRE_READ_H
#define TW_WIRE_READ_H

#include "wire.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* What every primitive returns for input that breaks a rule. */
#define TW_WIRE_BAD (-EBADMSG)

/* Sizes the count checks rely on: a declared count is accepted only if its elements can fit
 * in the bytes left at this many bytes each. */
#define TW_WIRE_MIN_ELEMENT 1u /* bytes of the smallest array element (a fixint) */
#define TW_WIRE_MIN_ENTRY   2u /* bytes of the smallest map entry (fixint key and value) */
#define TW_WIRE_F64_SIZE    9u /* bytes of a float 64: tag 0xcb and 8 big-endian bytes */

/* A read position in one message: p is the next byte, end one past the last. */
typedef struct tw_wire_cursor {
    const uint8_t *p, *end;
} tw_wire_cursor;

/* Bytes left. */
static inline size_t
tw_wire_left(const tw_wire_cursor *c)
{
    return (size_t)(c->end - c->p);
}

/* The n-byte big-endian unsigned integer at p (n <= 8; the caller checked the bytes). */
static inline uint64_t
tw_wire_load_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* True when the n bytes at s are the NUL-terminated string lit. */
static inline bool
tw_wire_str_is(const uint8_t *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* Reads an unsigned integer of any width into *v: positive fixint, uint 8..64, or int 8..64
 * holding a non-negative value. */
int tw_wire_read_uint(tw_wire_cursor *c, uint64_t *v);

/* Reads an unsigned integer in [min, max] into *v (*v may be set even on failure). */
int tw_wire_read_uint_in(tw_wire_cursor *c, uint64_t min, uint64_t max, uint64_t *v);

/* Reads an unsigned integer that fits in 32 bits; *v is set only on success. */
int tw_wire_read_u32(tw_wire_cursor *c, uint32_t *v);

/* Reads a float 64 (tag 0xcb only: no float 32, no integer), any value, NaN and infinities
 * included. */
int tw_wire_read_f64(tw_wire_cursor *c, double *v);

/* Reads a finite float 64 (*v may be set even on failure). */
int tw_wire_read_finite(tw_wire_cursor *c, double *v);

/* Reads a string (fixstr, str 8/16/32; never bin): *s points at its *n bytes inside the
 * message, which are neither copied nor checked (NUL bytes, UTF-8). */
int tw_wire_read_str(tw_wire_cursor *c, const uint8_t **s, size_t *n);

/* Reads a string of at most max bytes (at least 1 when nonempty) without NUL bytes into dst
 * (max + 1 bytes), NUL-terminated. A longer string is rejected, never truncated; dst is left
 * unchanged on failure. */
int tw_wire_read_strcpy(tw_wire_cursor *c, char *dst, size_t max, bool nonempty);

/* Reads a map header (fixmap, map 16/32) into *n entries, checked to fit in the bytes left
 * at TW_WIRE_MIN_ENTRY bytes each. The cursor is left at the first key. */
int tw_wire_read_map(tw_wire_cursor *c, uint32_t *n);

/* Reads an array header (fixarray, array 16/32) into *n elements, checked to fit in the bytes
 * left at TW_WIRE_MIN_ELEMENT byte each. The cursor is left at the first element. */
int tw_wire_read_array(tw_wire_cursor *c, uint32_t *n);

/* The same, allowing `extra` elements of no bytes (records a run log's reader handed over
 * without their bytes: tw_wire_decode_read). */
int tw_wire_read_array_plus(tw_wire_cursor *c, uint32_t *n, size_t extra);

/* Skips one value of any type. depth is the number of containers around it that are being
 * skipped (0 for a value the caller did not reach by skipping); a container nested deeper
 * than TW_WIRE_MAX_DEPTH, a reserved tag (0xc1) or a length past the end rejects it. */
int tw_wire_skip_value(tw_wire_cursor *c, unsigned depth);

/* Skips the n entries (key and value) of a map whose header was read, whatever they hold. */
int tw_wire_skip_entries(tw_wire_cursor *c, uint32_t n);

/* Reads a map key: *s and *n describe it when it is a string (as tw_wire_read_str); any other
 * key is skipped (as tw_wire_skip_value) and *s is NULL, *n 0. */
int tw_wire_read_key(tw_wire_cursor *c, const uint8_t **s, size_t *n);

/* Reads a METRIC record's goal: the string "min" or "max". */
int tw_wire_read_goal(tw_wire_cursor *c, tw_goal *goal);

/* Reads a RUN_END record's status by its name (tw_wire_status_name). */
int tw_wire_read_status(tw_wire_cursor *c, tw_run_status *status);

#endif
