/* runlog_pack_impl.h - the packer's state and what its two files share: packing
 * (runlog_pack.c) and unpacking (runlog_unpack.c) of version 3's frame content, whose layout is
 * doc/runlog.md's "Packed content". Private to them. */
#ifndef TW_RUNLOG_PACK_IMPL_H
#define TW_RUNLOG_PACK_IMPL_H

#include "runlog_pack.h"
#include "runlog_xor.h"
#include "wire_fast.h"

#include <stdint.h>
#include <string.h>

#define HEAD        10 /* mode, S (u32), n (u32), K */
#define SHAPE_BYTES 8
#define MAX_STATE   15
#define REC_MAX     (43 + 4 * 9 + 9 * MAX_STATE) /* the longest record of a shape: 214 bytes */
#define COL_BLOCK   256 /* values decoded at a time from each column (unpacking) */

/* The columns of every record taken out, in this order, then the state columns. */
enum { C_GAP, C_ID, C_SEQ, C_EPOCH, C_STEP, C_TIME, N_COLS };

typedef struct shape {
    uint8_t t, n_state, w[4]; /* widths of seq, id, epoch, step: 0 (a positive fixint), 1..8 */
} shape;

/* A metric's (id & 255) previous values in this frame; stale (all 0) unless gen is the frame's. */
typedef struct prev {
    uint32_t gen;
    uint64_t step, time, state[MAX_STATE];
} prev;

/* A record taken out, while packing. */
typedef struct taken {
    uint64_t v[N_COLS], state[MAX_STATE];
    uint8_t shape;
} taken;

struct tw_runlog_pack {
    uint32_t gen; /* moved by every message */
    uint64_t prev_seq;
    prev prev[256];
    shape shapes[TW_RUNLOG_PACK_SHAPES];
    unsigned n_shapes;
    /* packing */
    taken *rec;
    size_t rec_cap;
    uint64_t *col; /* a state column's values */
    size_t col_cap;
    uint8_t *skel, *out;
    size_t skel_cap, out_cap;
    tw_runlog_xor xor ;
    /* unpacking: each shape's record with its numbers zero, where they go, and the largest
     * seq, id, epoch and step its widths hold */
    uint8_t tmpl[TW_RUNLOG_PACK_SHAPES][REC_MAX + 16]; /* (copied 16 bytes at a time) */
    tw_wire_fast_at at[TW_RUNLOG_PACK_SHAPES];
    uint64_t max[TW_RUNLOG_PACK_SHAPES][4];
    uint8_t fast_t[TW_RUNLOG_PACK_SHAPES]; /* t, when UPDATE or EPOCH with a state; else 0 */
    /* the columns' values decoded COL_BLOCK at a time, in windows that stay in the cache */
    uint64_t fixed[N_COLS][COL_BLOCK], st[MAX_STATE][COL_BLOCK];
};

/* A new frame: every metric's previous values stale, seq's 0. */
static inline void
tw_runlog_pack_frame_start(tw_runlog_pack *p)
{
    if (++p->gen == 0) { /* wrapped: stale entries could look current */
        memset(p->prev, 0, sizeof p->prev);
        p->gen = 1;
    }
    p->prev_seq = 0;
    p->n_shapes = 0;
}

/* Metric id's previous values, made current (0) when stale. */
static inline prev *
tw_runlog_pack_prev_of(tw_runlog_pack *p, uint64_t id)
{
    prev *v = &p->prev[id & 0xff];
    if (v->gen != p->gen) {
        memset(v, 0, sizeof *v);
        v->gen = p->gen;
    }
    return v;
}

/* The little-endian uint32 at b. */
static inline uint32_t
tw_runlog_pack_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

#endif
