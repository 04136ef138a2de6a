/* wire_encode.c - the wire encoder: envelopes and records as msgpack over msgpack-c's packer.
 *
 * A message is built in one msgpack_sbuffer that is reused from message to message, so its
 * allocation is amortised: encoding a record allocates only when the buffer must grow. The
 * envelope is written by begin with "recs" as its last key and a 32-bit array header whose
 * count finish patches in place (array 32 is valid msgpack for any count, and
 * TW_WIRE_MAX_RECORDS needs it anyway). Every record is validated before a byte is written,
 * with the same rules the decoder applies, and a record that does not fit is rolled back, so
 * the message in progress is always well formed. */
#include "metric_impl.h"
#include "wire.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

struct tw_wire_encoder {
    msgpack_sbuffer buf;
    msgpack_packer pk;
    size_t count_at; /* offset of the 4-byte record count of "recs" */
    uint32_t count;  /* records appended since begin */
    int err;         /* 0; -EINVAL before begin or after an invalid envelope, -ENOMEM when
                        begin could not allocate: add and finish return it */
};

/* Packs a string literal as a key. */
#define KEY(pk, lit) msgpack_pack_str_with_body((pk), (lit), sizeof(lit) - 1)

tw_wire_encoder *
tw_wire_encoder_new(void)
{
    tw_wire_encoder *e = calloc(1, sizeof(*e));
    if (!e) {
        errno = ENOMEM;
        return NULL;
    }
    msgpack_sbuffer_init(&e->buf);
    msgpack_packer_init(&e->pk, &e->buf, msgpack_sbuffer_write);
    e->err = -EINVAL;
    return e;
}

void
tw_wire_encoder_destroy(tw_wire_encoder **e)
{
    if (!e || !*e)
        return;
    msgpack_sbuffer_destroy(&(*e)->buf);
    free(*e);
    *e = NULL;
}

/* Length of the NUL-terminated string s when it has at most max bytes (and at least one when
 * nonempty is set); otherwise -1. */
static long
text_len(const char *s, size_t max, bool nonempty)
{
    size_t n = strnlen(s, max + 1);
    if (n > max || (nonempty && n == 0))
        return -1;
    return (long)n;
}

/* Packs a string of n bytes. */
static int
pack_text(msgpack_packer *pk, const char *s, long n)
{
    return msgpack_pack_str_with_body(pk, s, (size_t)n);
}

void
tw_wire_encoder_begin(tw_wire_encoder *e, const tw_wire_header *h)
{
    if (!e)
        return;
    e->buf.size = 0;
    e->count = 0;
    e->err = -EINVAL;
    if (!h)
        return;
    long run = text_len(h->run, TW_WIRE_MAX_NAME, true);
    if (run < 0 || h->world < 1 || h->rank >= h->world)
        return;

    long join = text_len(h->join, TW_WIRE_MAX_NAME, false);
    if (join < 0)
        return;
    msgpack_packer *pk = &e->pk;
    int rc = msgpack_pack_map(pk, 6 + (h->replay_through ? 1 : 0) + (join > 0 ? 1 : 0));
    rc |= KEY(pk, "v");
    rc |= msgpack_pack_uint32(pk, h->version >= TW_WIRE_VERSION_MIN && h->version <= TW_WIRE_VERSION
                                      ? h->version
                                      : TW_WIRE_VERSION);
    rc |= KEY(pk, "run");
    rc |= pack_text(pk, h->run, run);
    rc |= KEY(pk, "inc");
    rc |= msgpack_pack_uint64(pk, h->incarnation);
    rc |= KEY(pk, "rank");
    rc |= msgpack_pack_uint32(pk, h->rank);
    rc |= KEY(pk, "world");
    rc |= msgpack_pack_uint32(pk, h->world);
    if (h->replay_through) {
        rc |= KEY(pk, "replay");
        rc |= msgpack_pack_uint64(pk, h->replay_through);
    }
    if (join > 0) {
        rc |= KEY(pk, "join");
        rc |= pack_text(pk, h->join, join);
    }
    rc |= KEY(pk, "recs");
    /* array 32 with a count patched by finish */
    static const char recs[5] = {(char)0xdd, 0, 0, 0, 0};
    rc |= msgpack_sbuffer_write(&e->buf, recs, sizeof(recs));
    if (rc != 0) {
        e->buf.size = 0;
        e->err = -ENOMEM;
        return;
    }
    e->count_at = e->buf.size - 4;
    e->err = 0;
}

/* Checks a RUN record's strings and parameters; fills the string lengths. */
static bool
run_is_valid(const tw_wire_record *r, long len[3])
{
    len[0] = text_len(r->name, TW_WIRE_MAX_NAME, true);
    len[1] = text_len(r->host, TW_WIRE_MAX_NAME, false);
    len[2] = text_len(r->program, TW_WIRE_MAX_NAME, false);
    if (len[0] < 0 || len[1] < 0 || len[2] < 0 || !isfinite(r->time))
        return false;
    if (r->n_params > TW_WIRE_MAX_PARAMS || (r->n_params > 0 && !r->params))
        return false;
    for (uint32_t i = 0; i < r->n_params; i++) {
        const tw_wire_param *p = &r->params[i];
        if (text_len(p->key, TW_WIRE_MAX_NAME, true) < 0)
            return false;
        if (!p->is_number && text_len(p->text, TW_WIRE_MAX_TEXT, false) < 0)
            return false;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(r->params[j].key, p->key) == 0)
                return false; /* duplicate key */
    }
    return true;
}

/* Checks a METRIC record: name, split, goal, kind, options and state length agree. */
static bool
metric_is_valid(const tw_wire_record *r, long *name_len)
{
    *name_len = text_len(r->name, TW_WIRE_MAX_NAME, true);
    if (*name_len < 0 || (unsigned)r->split > TW_SPLIT_TEST || (unsigned)r->goal > TW_GOAL_MAX)
        return false;
    if (r->kind == TW_WIRE_KIND_GAUGE)
        return r->state_len == 1;
    if (r->kind < TW_METRIC_MEAN || r->kind >= TW_METRIC_KIND_END)
        return false;
    if (text_len(r->args, TW_WIRE_MAX_ARGS, false) < 0)
        return false;
    return tw_wire_state_len_ok(r->kind, &r->options, r->args, r->state_len);
}

/* Checks everything the decoder would check of r (header aside). */
static bool
record_is_valid(const tw_wire_record *r, long len[3])
{
    if (r->seq == 0)
        return false;
    switch (r->type) {
    case TW_REC_RUN:
        return run_is_valid(r, len);
    case TW_REC_METRIC:
        return metric_is_valid(r, &len[0]);
    case TW_REC_UPDATE: /* tw_wire_encoder_add_state checks and writes these */
    case TW_REC_EPOCH:
        return false;
    case TW_REC_EPOCH_END:
    case TW_REC_HEARTBEAT:
        return r->epoch >= 1 && isfinite(r->time);
    case TW_REC_RUN_END:
        return isfinite(r->time) && tw_wire_status_name(r->status) != NULL;
    case TW_REC_DROPS:
        return isfinite(r->time);
    case TW_REC_GAP:
        return isfinite(r->time) && r->to_step >= r->step && r->dropped >= 1;
    }
    return false;
}

/* Packs the fields of a RUN record (after t and seq). */
static int
pack_run(msgpack_packer *pk, const tw_wire_record *r, const long len[3])
{
    int rc = KEY(pk, "name");
    rc |= pack_text(pk, r->name, len[0]);
    rc |= KEY(pk, "host");
    rc |= pack_text(pk, r->host, len[1]);
    rc |= KEY(pk, "program");
    rc |= pack_text(pk, r->program, len[2]);
    rc |= KEY(pk, "pid");
    rc |= msgpack_pack_uint64(pk, r->pid);
    rc |= KEY(pk, "start");
    rc |= msgpack_pack_double(pk, r->time);
    rc |= KEY(pk, "epochs");
    rc |= msgpack_pack_uint64(pk, r->planned_epochs);
    rc |= KEY(pk, "spe");
    rc |= msgpack_pack_uint64(pk, r->steps_per_epoch);
    rc |= KEY(pk, "params");
    rc |= msgpack_pack_map(pk, r->n_params);
    for (uint32_t i = 0; i < r->n_params; i++) {
        const tw_wire_param *p = &r->params[i];
        rc |= pack_text(pk, p->key, (long)strlen(p->key));
        if (p->is_number)
            rc |= msgpack_pack_double(pk, p->number);
        else
            rc |= pack_text(pk, p->text, (long)strlen(p->text));
    }
    return rc;
}

/* Packs the fields of a METRIC record (after t and seq). */
static int
pack_metric(msgpack_packer *pk, const tw_wire_record *r, long name_len)
{
    const char *kind =
        r->kind == TW_WIRE_KIND_GAUGE ? "gauge" : tw_metric_kind_name((tw_metric_kind)r->kind);
    int rc = KEY(pk, "id");
    rc |= msgpack_pack_uint32(pk, r->metric_id);
    rc |= KEY(pk, "name");
    rc |= pack_text(pk, r->name, name_len);
    rc |= KEY(pk, "split");
    rc |= msgpack_pack_uint32(pk, (uint32_t)r->split);
    rc |= KEY(pk, "kind");
    rc |= pack_text(pk, kind, (long)strlen(kind));
    if (r->goal != TW_GOAL_UNKNOWN) {
        rc |= KEY(pk, "goal");
        rc |= r->goal == TW_GOAL_MIN ? KEY(pk, "min") : KEY(pk, "max");
    }
    const tw_metric_options *o = &r->options;
    if (tw_kind_uses_threshold(r->kind)) {
        rc |= KEY(pk, "opts");
        rc |= msgpack_pack_map(pk, 1);
        rc |= KEY(pk, "threshold");
        rc |= msgpack_pack_double(pk, o->threshold);
    } else if (tw_kind_uses_k(r->kind)) {
        rc |= KEY(pk, "opts");
        rc |= msgpack_pack_map(pk, 1);
        rc |= KEY(pk, "k");
        rc |= msgpack_pack_uint32(pk, (uint32_t)o->k);
    } else if (r->kind == TW_METRIC_AUC) {
        rc |= KEY(pk, "opts");
        rc |= msgpack_pack_map(pk, 3);
        rc |= KEY(pk, "nt");
        rc |= msgpack_pack_uint32(pk, (uint32_t)o->num_thresholds);
        rc |= KEY(pk, "curve");
        rc |= msgpack_pack_uint32(pk, (uint32_t)o->curve);
        rc |= KEY(pk, "sum");
        rc |= msgpack_pack_uint32(pk, (uint32_t)o->summation);
    }
    if (r->args[0]) {
        rc |= KEY(pk, "args");
        rc |= pack_text(pk, r->args, (long)strlen(r->args));
    }
    rc |= KEY(pk, "n");
    rc |= msgpack_pack_uint32(pk, r->state_len);
    return rc;
}

/* Number of keys of a METRIC record. */
static size_t
metric_keys(const tw_wire_record *r)
{
    size_t n = 7; /* t seq id name split kind n */
    if (r->goal != TW_GOAL_UNKNOWN)
        n++;
    if (tw_kind_uses_threshold(r->kind) || tw_kind_uses_k(r->kind) || r->kind == TW_METRIC_AUC)
        n++;
    if (r->args[0])
        n++;
    return n;
}

/* Packs the fields of a GAP record (after t and seq). */
static int
pack_gap(msgpack_packer *pk, const tw_wire_record *r)
{
    int rc = KEY(pk, "time");
    rc |= msgpack_pack_double(pk, r->time);
    rc |= KEY(pk, "step");
    rc |= msgpack_pack_uint64(pk, r->step);
    rc |= KEY(pk, "to");
    rc |= msgpack_pack_uint64(pk, r->to_step);
    rc |= KEY(pk, "dropped");
    rc |= msgpack_pack_uint64(pk, r->dropped);
    return rc;
}

/* Packs one validated record. Returns 0 or non-zero when the buffer could not grow. */
static int
pack_record(msgpack_packer *pk, const tw_wire_record *r, const long len[3])
{
    static const uint8_t keys[] = {
        [TW_REC_RUN] = 10,      [TW_REC_UPDATE] = 7,  [TW_REC_EPOCH] = 7, [TW_REC_EPOCH_END] = 6,
        [TW_REC_HEARTBEAT] = 6, [TW_REC_RUN_END] = 4, [TW_REC_DROPS] = 4, [TW_REC_GAP] = 6,
    };
    size_t n = r->type == TW_REC_METRIC ? metric_keys(r) : keys[r->type];
    int rc = msgpack_pack_map(pk, n);
    rc |= KEY(pk, "t");
    rc |= msgpack_pack_uint32(pk, (uint32_t)r->type);
    rc |= KEY(pk, "seq");
    rc |= msgpack_pack_uint64(pk, r->seq);
    switch (r->type) {
    case TW_REC_RUN:
        rc |= pack_run(pk, r, len);
        break;
    case TW_REC_METRIC:
        rc |= pack_metric(pk, r, len[0]);
        break;
    case TW_REC_UPDATE: /* (tw_wire_encoder_add_state) */
    case TW_REC_EPOCH:
        break;
    case TW_REC_EPOCH_END:
        rc |= KEY(pk, "epoch");
        rc |= msgpack_pack_uint64(pk, r->epoch);
        rc |= KEY(pk, "step");
        rc |= msgpack_pack_uint64(pk, r->step);
        rc |= KEY(pk, "time");
        rc |= msgpack_pack_double(pk, r->time);
        rc |= KEY(pk, "metrics");
        rc |= msgpack_pack_uint32(pk, r->metrics);
        break;
    case TW_REC_HEARTBEAT:
        rc |= KEY(pk, "time");
        rc |= msgpack_pack_double(pk, r->time);
        rc |= KEY(pk, "step");
        rc |= msgpack_pack_uint64(pk, r->step);
        rc |= KEY(pk, "epoch");
        rc |= msgpack_pack_uint64(pk, r->epoch);
        rc |= KEY(pk, "interval");
        rc |= msgpack_pack_uint32(pk, r->interval_ms);
        break;
    case TW_REC_RUN_END: {
        const char *s = tw_wire_status_name(r->status);
        rc |= KEY(pk, "time");
        rc |= msgpack_pack_double(pk, r->time);
        rc |= KEY(pk, "status");
        rc |= pack_text(pk, s, (long)strlen(s));
        break;
    }
    case TW_REC_DROPS:
        rc |= KEY(pk, "time");
        rc |= msgpack_pack_double(pk, r->time);
        rc |= KEY(pk, "dropped");
        rc |= msgpack_pack_uint64(pk, r->dropped);
        break;
    case TW_REC_GAP:
        rc |= pack_gap(pk, r);
        break;
    }
    return rc;
}

/* Room for n more bytes in b, grown as msgpack_sbuffer_write grows it: 0 or -ENOMEM. */
static int
reserve(msgpack_sbuffer *b, size_t n)
{
    if (b->alloc - b->size >= n)
        return 0;
    size_t cap = b->alloc ? b->alloc : MSGPACK_SBUFFER_INIT_SIZE;
    while (cap - b->size < n) {
        if (cap > SIZE_MAX / 2)
            return -ENOMEM;
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data)
        return -ENOMEM;
    b->data = data;
    b->alloc = cap;
    return 0;
}

/* The bytes of a state record, written as msgpack-c's packer writes them (the smallest
 * unsigned form, doubles as float 64, big-endian), without a call per field. */
static uint8_t *
put_be(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = bytes; i-- > 0;)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* Bytes of put_uint(v). */
static size_t
uint_len(uint64_t v)
{
    return v < 0x80 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

static uint8_t *
put_uint(uint8_t *p, uint64_t v)
{
    if (v < 0x80) {
        *p++ = (uint8_t)v;
        return p;
    }
    unsigned bytes = (unsigned)uint_len(v) - 1; /* 1, 2, 4 or 8 */
    *p++ = bytes == 1 ? 0xcc : bytes == 2 ? 0xcd : bytes == 4 ? 0xce : 0xcf;
    return put_be(p, v, bytes);
}

static uint8_t *
put_double(uint8_t *p, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    *p++ = 0xcb;
    return put_be(p, bits, 8);
}

#define PUT_KEY(p, lit)                                                                            \
    ((p)[0] = (uint8_t)(0xa0 | (sizeof(lit) - 1)), memcpy((p) + 1, (lit), sizeof(lit) - 1),        \
     (p) + sizeof(lit))

/* Bytes of a state record: a map of seven keys (1 + 31), t (1), seq, id, epoch and step, time
 * (9), the array's header (1, 3 or 5) and 9 a double. */
static size_t
state_record_len(const tw_wire_state *s)
{
    size_t n = s->state_len;
    return 32 + 1 + uint_len(s->seq) + uint_len(s->metric_id) + uint_len(s->epoch) +
           uint_len(s->step) + 9 +
           (n < 16        ? 1
            : n <= 0xffff ? 3
                          : 5) +
           9 * n;
}

int
tw_wire_encoder_add_state(tw_wire_encoder *e, const tw_wire_state *s)
{
    if (!e || !s)
        return -EINVAL;
    if (e->err != 0)
        return e->err;
    if ((s->type != TW_REC_UPDATE && s->type != TW_REC_EPOCH) || s->seq == 0 || s->epoch < 1 ||
        !isfinite(s->time) || s->state_len < 1 || s->state_len > TW_WIRE_MAX_STATE || !s->state)
        return -EINVAL;
    if (e->count >= TW_WIRE_MAX_RECORDS)
        return -EMSGSIZE;
    size_t len = state_record_len(s);
    if (e->buf.size + len > TW_WIRE_MAX_MESSAGE)
        return -EMSGSIZE; /* the message in progress is unchanged */
    if (reserve(&e->buf, len) != 0)
        return -ENOMEM;
    uint8_t *start = (uint8_t *)e->buf.data + e->buf.size, *p = start;
    *p++ = 0x87; /* a map of 7 */
    p = PUT_KEY(p, "t");
    *p++ = (uint8_t)s->type;
    p = PUT_KEY(p, "seq");
    p = put_uint(p, s->seq);
    p = PUT_KEY(p, "id");
    p = put_uint(p, s->metric_id);
    p = PUT_KEY(p, "epoch");
    p = put_uint(p, s->epoch);
    p = PUT_KEY(p, "step");
    p = put_uint(p, s->step);
    p = PUT_KEY(p, "time");
    p = put_double(p, s->time);
    p = PUT_KEY(p, "state");
    if (s->state_len < 16) {
        *p++ = (uint8_t)(0x90 | s->state_len);
    } else {
        *p++ = s->state_len <= 0xffff ? 0xdc : 0xdd;
        p = put_be(p, s->state_len, s->state_len <= 0xffff ? 2 : 4);
    }
    for (uint32_t i = 0; i < s->state_len; i++)
        p = put_double(p, s->state[i]);
    assert((size_t)(p - start) == len);
    e->buf.size += len;
    e->count++;
    return 0;
}

int
tw_wire_encoder_add(tw_wire_encoder *e, const tw_wire_record *r)
{
    if (r && (r->type == TW_REC_UPDATE || r->type == TW_REC_EPOCH))
        return tw_wire_encoder_add_state(e, &(tw_wire_state){.type = r->type,
                                                             .metric_id = r->metric_id,
                                                             .seq = r->seq,
                                                             .epoch = r->epoch,
                                                             .step = r->step,
                                                             .time = r->time,
                                                             .state = r->state,
                                                             .state_len = r->state_len});
    if (!e || !r)
        return -EINVAL;
    if (e->err != 0)
        return e->err;
    long len[3] = {0, 0, 0};
    if (!record_is_valid(r, len))
        return -EINVAL;
    if (e->count >= TW_WIRE_MAX_RECORDS)
        return -EMSGSIZE;
    size_t mark = e->buf.size;
    int rc = pack_record(&e->pk, r, len);
    if (rc != 0 || e->buf.size > TW_WIRE_MAX_MESSAGE) {
        e->buf.size = mark; /* roll back: the message stays well formed */
        return rc != 0 ? -ENOMEM : -EMSGSIZE;
    }
    e->count++;
    return 0;
}

uint32_t
tw_wire_encoder_count(const tw_wire_encoder *e)
{
    return e ? e->count : 0;
}

size_t
tw_wire_encoder_size(const tw_wire_encoder *e)
{
    return e ? e->buf.size : 0;
}

int
tw_wire_encoder_finish(tw_wire_encoder *e, const uint8_t **data, size_t *len)
{
    if (!e || !data || !len)
        return -EINVAL;
    if (e->err != 0)
        return e->err;
    uint8_t *p = (uint8_t *)e->buf.data + e->count_at;
    p[0] = (uint8_t)(e->count >> 24);
    p[1] = (uint8_t)(e->count >> 16);
    p[2] = (uint8_t)(e->count >> 8);
    p[3] = (uint8_t)e->count;
    *data = (const uint8_t *)e->buf.data;
    *len = e->buf.size;
    return 0;
}
