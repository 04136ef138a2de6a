/* runlog_zstd.c - zstd compression of run-log frames (format versions 2 and 3), with checked
 * sizes. */
#include "runlog_zstd.h"
#include "runlog_pack.h"
#include "runlog_xor.h"
#include "wire.h"
#include "wire_fast.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_literalCompressionMode, below */
#include <zstd.h>

struct tw_runlog_zstd {
    ZSTD_CCtx *cctx;  /* made by the first compress */
    int cctx_level;   /* the level its parameters were set for */
    bool cctx_packed; /* and the format (version 3's packed contents: true) */
    ZSTD_DCtx *dctx;  /* made by the first decompress */
    uint8_t *buf;     /* compress: the compressed bytes of the last call */
    size_t cap;
    uint8_t *copy; /* compress: the message, transformed (runlog_xor.h) */
    size_t copy_cap;
    tw_runlog_xor xor ;
    tw_runlog_pack *pack;  /* version 3: made at first use */
    tw_runlog_out content; /* decompress, version 3: the content before it is unpacked */
};

tw_runlog_zstd *
tw_runlog_zstd_new(void)
{
    return calloc(1, sizeof(tw_runlog_zstd));
}

void
tw_runlog_zstd_destroy(tw_runlog_zstd **zp)
{
    if (!zp || !*zp)
        return;
    tw_runlog_zstd *z = *zp;
    *zp = NULL;
    ZSTD_freeCCtx(z->cctx);
    ZSTD_freeDCtx(z->dctx);
    free(z->buf);
    free(z->copy);
    tw_runlog_pack_destroy(&z->pack);
    tw_runlog_out_free(&z->content);
    free(z);
}

void
tw_runlog_out_free(tw_runlog_out *o)
{
    free(o->buf);
    free(o->pre);
    free(o->states);
    memset(o, 0, sizeof *o);
}

int
tw_runlog_reserve(uint8_t **b, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    uint8_t *nb = realloc(*b, n);
    if (!nb)
        return -ENOMEM;
    *b = nb;
    *cap = n;
    return 0;
}

/* Sets the compressor's parameters for `level`. Besides the level, two choices that make the
 * frames faster to read, measured on bench_runlog's log of 20 Means x 50 000 steps
 * (doc/performance.md, "Loading a run log"): literals stored raw, not Huffman-coded (the delta
 * transform leaves literals that are the changing low bytes of numbers, which Huffman coding
 * barely shrinks and which cost a table decode each: 36 -> 27 ns a record to decompress for
 * +0.3 bytes an update), and matches of at least 7 bytes (fewer, longer sequences: 27 -> 25.5
 * ns, and 0.1 byte smaller). For version 3's packed contents, below level 3, the "dfast" match
 * finder (level 3's) instead of level 1's "fast", with the level's table sizes: its longer
 * matches make fewer sequences, 150 -> 119 instructions a record to decompress and 11.94 ->
 * 11.61 bytes an update (bench_runlog's contents recompressed; its log: 11.9 -> 11.7), and 4 %
 * fewer instructions to compress (version 2's transformed messages gained nothing from it). Any
 * zstd frame reads the same, so these are the writer's choice: a libzstd that refuses the
 * experimental parameter writes Huffman-coded literals, as before. */
static int
set_level(tw_runlog_zstd *z, int level, bool packed)
{
    if (ZSTD_isError(ZSTD_CCtx_reset(z->cctx, ZSTD_reset_parameters)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)))
        return -EINVAL;
    (void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_minMatch, 7);
    if (packed && level < 3)
        (void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_strategy, ZSTD_dfast);
#if ZSTD_VERSION_NUMBER >= 10501 /* the switch's name since 1.5.1; the same value before */
    (void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
#else
    (void)ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_literalCompressionMode, ZSTD_lcm_uncompressed);
#endif
    z->cctx_level = level;
    z->cctx_packed = packed;
    return 0;
}

/* Compresses one payload; see runlog_zstd.h. */
int
tw_runlog_zstd_compress(tw_runlog_zstd *z, int level, bool packed, const void *src, size_t len,
                        const uint8_t **out, size_t *outlen)
{
    if (!z->cctx && !(z->cctx = ZSTD_createCCtx()))
        return -ENOMEM;
    if ((z->cctx_level != level || z->cctx_packed != packed) && set_level(z, level, packed) != 0)
        return 1;
    const uint8_t *content = z->copy;
    size_t clen = len;
    if (packed) {
        if (!z->pack && !(z->pack = tw_runlog_pack_new()))
            return -ENOMEM;
        int rc = tw_runlog_pack_message(z->pack, src, len, &content, &clen);
        if (rc != 0)
            return rc;
        if (clen > TW_WIRE_MAX_MESSAGE)
            return 1; /* (a content can be longer than its message: a near-16 MiB message of
                         records with tiny states, or of nothing to take out: stored as sent) */
    } else {
        if (tw_runlog_reserve(&z->copy, &z->copy_cap, len) != 0)
            return -ENOMEM;
        memcpy(z->copy, src, len);
        tw_runlog_xor_apply(&z->xor, z->copy, len, false);
        content = z->copy;
    }
    if (tw_runlog_reserve(&z->buf, &z->cap, ZSTD_compressBound(clen)) != 0)
        return -ENOMEM;
    size_t n = ZSTD_compress2(z->cctx, z->buf, z->cap, content, clen); /* declares its size */
    if (ZSTD_isError(n) || n >= len)
        return 1;
    *out = z->buf;
    *outlen = n;
    return 0;
}

/* Decompresses src into o->buf after checking its declared size. */
static int
inflate(tw_runlog_zstd *z, const uint8_t *src, size_t len, tw_runlog_out *o, size_t *outlen,
        char *why, size_t whysize)
{
    if (ZSTD_findFrameCompressedSize(src, len) != len) {
        snprintf(why, whysize, "not one zstd frame");
        return -EBADMSG;
    }
    unsigned long long size = ZSTD_getFrameContentSize(src, len);
    if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size == 0 ||
        size > TW_WIRE_MAX_MESSAGE) {
        snprintf(why, whysize, "no content size of 1 to %u bytes", TW_WIRE_MAX_MESSAGE);
        return -EBADMSG;
    }
    if (!z->dctx && !(z->dctx = ZSTD_createDCtx()))
        return -ENOMEM;
    if (tw_runlog_reserve(&o->buf, &o->cap, (size_t)size) != 0)
        return -ENOMEM;
    size_t n = ZSTD_decompressDCtx(z->dctx, o->buf, (size_t)size, src, len);
    if (ZSTD_isError(n) || n != size) {
        snprintf(why, whysize, "%s",
                 ZSTD_isError(n) ? ZSTD_getErrorName(n) : "shorter than its content size");
        return -EBADMSG;
    }
    *outlen = n;
    return 0;
}

/* Decompresses one stored frame and restores its message; see runlog_zstd.h. */
int
tw_runlog_zstd_decompress(tw_runlog_zstd *z, bool packed, bool skeleton, const uint8_t *src,
                          size_t len, tw_runlog_out *o, size_t *outlen, char *why, size_t whysize)
{
    o->n_pre = 0;
    if (!o->pre && !(o->pre = malloc(TW_WIRE_FAST_MAX * sizeof(tw_wire_fast))))
        return -ENOMEM;
    if (packed) {
        size_t n;
        int rc = inflate(z, src, len, &z->content, &n, why, whysize);
        if (rc != 0)
            return rc;
        if (!z->pack && !(z->pack = tw_runlog_pack_new()))
            return -ENOMEM;
        return tw_runlog_unpack_message(z->pack, z->content.buf, n, skeleton, o, outlen, why,
                                        whysize);
    }
    size_t n;
    int rc = inflate(z, src, len, o, &n, why, whysize);
    if (rc != 0)
        return rc;
    o->n_pre = tw_runlog_xor_apply_read(&z->xor, o->buf, n, o->pre, TW_WIRE_FAST_MAX);
    *outlen = n;
    return 0;
}
