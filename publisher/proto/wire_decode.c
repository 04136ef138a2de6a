/* wire_decode.c - the wire decoder: envelopes and records read from hostile input with the
 * primitives of wire_read.c, per-type field tables, and the reset of the reused record.
 *
 * Design note. A message is decoded in two passes: the first (here) validates it whole (and
 * finds the "recs" array and the envelope), the second (wire_deliver.c) delivers its records,
 * so that a rejected message delivers nothing. UPDATE and EPOCH records in the encoder's layout
 * (nearly all of them) are read once, by wire_fast.c, into a fixed array of compact records the
 * second pass delivers from; the others (and those past TW_WIRE_FAST_MAX) are parsed again there. A
 * run log's reader has read most records already, undoing its delta transform
 * (tw_wire_decode_read): those are taken as they are, found by where they start. Each record type
 * has a layout: the keys it knows, in the order the encoder writes them, and those it requires;
 * other keys are skipped whatever their type (wire_read.c bounds the skipping), and a known key
 * seen twice in one map rejects the message. Records are parsed into one tw_wire_record the decoder
 * reuses; before each record, only the fields the previous record's layout could have set are
 * zeroed (a table of their offsets and sizes), which leaves the record exactly as zeroed as a fresh
 * one without clearing all of its bytes every time. Type rules: wire_read.c. */
#include "metric_impl.h"
#include "wire.h"
#include "wire_decode_impl.h"
#include "wire_fast.h"
#include "wire_read.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Record fields, as bits of a "seen" mask. */
enum field {
    F_T,
    F_SEQ,
    F_NAME,
    F_HOST,
    F_PROGRAM,
    F_PID,
    F_START,
    F_PARAMS,
    F_EPOCHS,
    F_SPE,
    F_ID,
    F_SPLIT,
    F_KIND,
    F_GOAL,
    F_OPTS,
    F_N,
    F_EPOCH,
    F_STEP,
    F_TIME,
    F_STATE,
    F_METRICS,
    F_INTERVAL,
    F_STATUS,
    F_DROPPED,
    F_ARGS,
    F_TO,
    F_COUNT
};

#define BIT(f) (1u << (f))

/* The keys of the fields, with their lengths (compared before the bytes). */
static const struct field_name {
    char s[12];
    uint8_t len;
} field_names[F_COUNT] = {
    [F_T] = {"t", 1},
    [F_SEQ] = {"seq", 3},
    [F_NAME] = {"name", 4},
    [F_HOST] = {"host", 4},
    [F_PROGRAM] = {"program", 7},
    [F_PID] = {"pid", 3},
    [F_START] = {"start", 5},
    [F_PARAMS] = {"params", 6},
    [F_EPOCHS] = {"epochs", 6},
    [F_SPE] = {"spe", 3},
    [F_ID] = {"id", 2},
    [F_SPLIT] = {"split", 5},
    [F_KIND] = {"kind", 4},
    [F_GOAL] = {"goal", 4},
    [F_OPTS] = {"opts", 4},
    [F_N] = {"n", 1},
    [F_EPOCH] = {"epoch", 5},
    [F_STEP] = {"step", 4},
    [F_TIME] = {"time", 4},
    [F_STATE] = {"state", 5},
    [F_METRICS] = {"metrics", 7},
    [F_INTERVAL] = {"interval", 8},
    [F_STATUS] = {"status", 6},
    [F_DROPPED] = {"dropped", 7},
    [F_ARGS] = {"args", 4},
    [F_TO] = {"to", 2},
};

/* The fields of each record type (the others are unknown keys, skipped), in the order the
 * encoder writes them, and those that are required. */
typedef struct record_layout {
    uint8_t n;
    uint8_t fields[10];
    uint32_t required;
} record_layout;

#define COMMON (BIT(F_T) | BIT(F_SEQ))

static const record_layout layouts[TW_REC_GAP + 1] = {
    [TW_REC_RUN] = {10,
                    {F_T, F_SEQ, F_NAME, F_HOST, F_PROGRAM, F_PID, F_START, F_EPOCHS, F_SPE,
                     F_PARAMS},
                    COMMON | BIT(F_NAME) | BIT(F_START)},
    [TW_REC_METRIC] = {10,
                       {F_T, F_SEQ, F_ID, F_NAME, F_SPLIT, F_KIND, F_GOAL, F_OPTS, F_ARGS, F_N},
                       COMMON | BIT(F_ID) | BIT(F_NAME) | BIT(F_SPLIT) | BIT(F_KIND) | BIT(F_N)},
    [TW_REC_UPDATE] = {7,
                       {F_T, F_SEQ, F_ID, F_EPOCH, F_STEP, F_TIME, F_STATE},
                       COMMON | BIT(F_ID) | BIT(F_EPOCH) | BIT(F_STEP) | BIT(F_TIME) |
                           BIT(F_STATE)},
    [TW_REC_EPOCH] = {7,
                      {F_T, F_SEQ, F_ID, F_EPOCH, F_STEP, F_TIME, F_STATE},
                      COMMON | BIT(F_ID) | BIT(F_EPOCH) | BIT(F_STEP) | BIT(F_TIME) | BIT(F_STATE)},
    [TW_REC_EPOCH_END] = {6,
                          {F_T, F_SEQ, F_EPOCH, F_STEP, F_TIME, F_METRICS},
                          COMMON | BIT(F_EPOCH) | BIT(F_STEP) | BIT(F_TIME) | BIT(F_METRICS)},
    [TW_REC_HEARTBEAT] = {6,
                          {F_T, F_SEQ, F_TIME, F_STEP, F_EPOCH, F_INTERVAL},
                          COMMON | BIT(F_TIME) | BIT(F_STEP) | BIT(F_EPOCH) | BIT(F_INTERVAL)},
    [TW_REC_RUN_END] = {4, {F_T, F_SEQ, F_TIME, F_STATUS}, COMMON | BIT(F_TIME) | BIT(F_STATUS)},
    [TW_REC_DROPS] = {4, {F_T, F_SEQ, F_TIME, F_DROPPED}, COMMON | BIT(F_TIME) | BIT(F_DROPPED)},
    [TW_REC_GAP] = {6,
                    {F_T, F_SEQ, F_TIME, F_STEP, F_TO, F_DROPPED},
                    COMMON | BIT(F_TIME) | BIT(F_STEP) | BIT(F_TO) | BIT(F_DROPPED)},
};

/* Whether the len (== fn->len) bytes at k are fn's key: a byte loop, keys are short. */
static inline bool
key_is(const uint8_t *k, const struct field_name *fn)
{
    for (unsigned q = 0; q < fn->len; q++)
        if (k[q] != (uint8_t)fn->s[q])
            return false;
    return true;
}

/* Options of a METRIC record as read, before they are checked against its kind. */
enum opt { O_THRESHOLD, O_K, O_NT, O_CURVE, O_SUM, O_COUNT };

static const char *const opt_names[O_COUNT] = {
    [O_THRESHOLD] = "threshold", [O_K] = "k", [O_NT] = "nt", [O_CURVE] = "curve", [O_SUM] = "sum",
};

/* What a record's fields say beyond the record itself. */
typedef struct record_extra {
    bool kind_known; /* "kind" names a kind this decoder knows */
    uint32_t opts;   /* BIT(O_*) of the options present */
    tw_metric_options o;
} record_extra;

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                      */

/* Reads the "params" map of a RUN record into the decoder's buffer. */
static int
read_params(tw_wire_decoder *d, tw_wire_cursor *c, tw_wire_record *r)
{
    uint32_t n;
    if (tw_wire_read_map(c, &n) != 0 || n > TW_WIRE_MAX_PARAMS)
        return TW_WIRE_BAD;
    for (uint32_t i = 0; i < n; i++) {
        tw_wire_param *p = &d->params[i];
        if (tw_wire_read_strcpy(c, p->key, TW_WIRE_MAX_NAME, true) != 0)
            return TW_WIRE_BAD;
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(d->params[j].key, p->key) == 0)
                return TW_WIRE_BAD; /* duplicate key */
        if (c->p != c->end && *c->p == 0xcb) {
            p->is_number = true;
            p->text[0] = '\0';
            if (tw_wire_read_f64(c, &p->number) != 0)
                return TW_WIRE_BAD;
        } else {
            p->is_number = false;
            p->number = 0.0;
            if (tw_wire_read_strcpy(c, p->text, TW_WIRE_MAX_TEXT, false) != 0)
                return TW_WIRE_BAD;
        }
    }
    r->n_params = n;
    r->params = n ? d->params : NULL;
    return 0;
}

/* Reads the "opts" map of a METRIC record. Each option, when present, must be in range
 * whatever the kind; which of them apply is decided once the kind is known. */
static int
read_opts(tw_wire_cursor *c, record_extra *x)
{
    uint32_t n;
    if (tw_wire_read_map(c, &n) != 0)
        return TW_WIRE_BAD;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s;
        size_t len;
        if (tw_wire_read_key(c, &s, &len) != 0)
            return TW_WIRE_BAD;
        int o = -1;
        for (int j = 0; s && j < O_COUNT; j++)
            if (tw_wire_str_is(s, len, opt_names[j]))
                o = j;
        if (o < 0) {
            if (tw_wire_skip_value(c, 0) != 0)
                return TW_WIRE_BAD;
            continue;
        }
        if (x->opts & BIT(o))
            return TW_WIRE_BAD;
        x->opts |= BIT(o);
        uint64_t v = 0;
        int rc;
        switch (o) {
        case O_THRESHOLD:
            rc = tw_wire_read_finite(c, &x->o.threshold);
            break;
        case O_K:
            rc = tw_wire_read_uint_in(c, 1, INT_MAX, &v);
            x->o.k = (int)v;
            break;
        case O_NT:
            rc = tw_wire_read_uint_in(c, 2, TW_AUC_MAX_THRESHOLDS, &v);
            x->o.num_thresholds = (int)v;
            break;
        case O_CURVE:
            rc = tw_wire_read_uint_in(c, TW_AUC_ROC, TW_AUC_PRGAIN, &v);
            x->o.curve = (tw_auc_curve)v;
            break;
        default: /* O_SUM */
            rc = tw_wire_read_uint_in(c, TW_AUC_INTERPOLATION, TW_AUC_MAJORING, &v);
            x->o.summation = (tw_auc_summation)v;
            break;
        }
        if (rc != 0)
            return TW_WIRE_BAD;
    }
    return 0;
}

/* Reads a METRIC record's kind. An unknown kind name is not an error: the record is skipped
 * as an unknown record (a newer publisher may know more kinds). */
static int
read_kind(tw_wire_cursor *c, tw_wire_record *r, record_extra *x)
{
    char name[TW_WIRE_MAX_NAME + 1];
    if (tw_wire_read_strcpy(c, name, TW_WIRE_MAX_NAME, true) != 0)
        return TW_WIRE_BAD;
    if (strcmp(name, "gauge") == 0) {
        r->kind = TW_WIRE_KIND_GAUGE;
    } else {
        r->kind = (int)tw_metric_kind_from_name(name);
    }
    x->kind_known = r->kind != 0;
    return 0;
}

/* Reads an UPDATE or EPOCH record's state; copies it into the decoder's buffer when copy. */
static int
read_state(tw_wire_decoder *d, tw_wire_cursor *c, tw_wire_record *r, bool copy)
{
    uint32_t n;
    if (tw_wire_read_array(c, &n) != 0 || n < 1 || n > TW_WIRE_MAX_STATE ||
        tw_wire_left(c) / TW_WIRE_F64_SIZE < n)
        return TW_WIRE_BAD;
    const uint8_t *p = c->p;
    for (uint32_t i = 0; i < n; i++, p += TW_WIRE_F64_SIZE) {
        if (p[0] != 0xcb)
            return TW_WIRE_BAD;
        if (copy) {
            uint64_t bits = tw_wire_load_be(p + 1, 8);
            memcpy(&d->state[i], &bits, sizeof(double));
        }
    }
    c->p = p;
    r->state_len = n;
    r->state = d->state;
    return 0;
}

/* A span of tw_wire_record's bytes. */
typedef struct span {
    uint16_t off, len;
} span;

_Static_assert(sizeof(tw_wire_record) <= UINT16_MAX, "span offsets are 16-bit");

#define SPAN(member)                                                                               \
    {                                                                                              \
        offsetof(tw_wire_record, member), sizeof(((tw_wire_record *)0)->member)                    \
    }

/* What read_field may set in the record for each field (and, for a METRIC's kind, what
 * finish_metric sets): at most two members, zeroed by clear_record. F_T sets nothing (the
 * type is cleared apart); F_OPTS is read into record_extra, and the options finish_metric
 * sets from it are cleared with F_KIND. A field that comes to set another member must list it
 * here, or a later record would see it. */
static const span field_spans[F_COUNT][2] = {
    [F_SEQ] = {SPAN(seq)},
    [F_NAME] = {SPAN(name)},
    [F_HOST] = {SPAN(host)},
    [F_PROGRAM] = {SPAN(program)},
    [F_PID] = {SPAN(pid)},
    [F_START] = {SPAN(time)},
    [F_PARAMS] = {SPAN(n_params), SPAN(params)},
    [F_EPOCHS] = {SPAN(planned_epochs)},
    [F_SPE] = {SPAN(steps_per_epoch)},
    [F_ID] = {SPAN(metric_id)},
    [F_SPLIT] = {SPAN(split)},
    [F_KIND] = {SPAN(kind), SPAN(options)},
    [F_GOAL] = {SPAN(goal)},
    [F_N] = {SPAN(state_len), SPAN(state)},
    [F_EPOCH] = {SPAN(epoch)},
    [F_STEP] = {SPAN(step)},
    [F_TIME] = {SPAN(time)},
    [F_STATE] = {SPAN(state_len), SPAN(state)},
    [F_METRICS] = {SPAN(metrics)},
    [F_INTERVAL] = {SPAN(interval_ms)},
    [F_STATUS] = {SPAN(status)},
    [F_DROPPED] = {SPAN(dropped)},
    [F_ARGS] = {SPAN(args)},
    [F_TO] = {SPAN(to_step)},
};

/* Reads the value of field f into r (or x). Returns 0 or TW_WIRE_BAD. */
static int
read_field(tw_wire_decoder *d, tw_wire_cursor *c, enum field f, tw_wire_record *r, record_extra *x,
           bool copy)
{
    uint64_t v;
    switch (f) {
    case F_T:
        return tw_wire_read_uint(c, &v); /* already known */
    case F_SEQ:
        return tw_wire_read_uint_in(c, 1, UINT64_MAX, &r->seq);
    case F_NAME:
        return tw_wire_read_strcpy(c, r->name, TW_WIRE_MAX_NAME, true);
    case F_HOST:
        return tw_wire_read_strcpy(c, r->host, TW_WIRE_MAX_NAME, false);
    case F_PROGRAM:
        return tw_wire_read_strcpy(c, r->program, TW_WIRE_MAX_NAME, false);
    case F_PID:
        return tw_wire_read_uint(c, &r->pid);
    case F_START:
    case F_TIME:
        return tw_wire_read_finite(c, &r->time);
    case F_PARAMS:
        return read_params(d, c, r);
    case F_EPOCHS:
        return tw_wire_read_uint(c, &r->planned_epochs);
    case F_SPE:
        return tw_wire_read_uint(c, &r->steps_per_epoch);
    case F_ID:
        return tw_wire_read_u32(c, &r->metric_id);
    case F_SPLIT:
        if (tw_wire_read_uint_in(c, TW_SPLIT_TRAIN, TW_SPLIT_TEST, &v) != 0)
            return TW_WIRE_BAD;
        r->split = (tw_split)v;
        return 0;
    case F_KIND:
        return read_kind(c, r, x);
    case F_GOAL:
        return tw_wire_read_goal(c, &r->goal);
    case F_OPTS:
        return read_opts(c, x);
    case F_N:
        if (tw_wire_read_uint_in(c, 1, TW_WIRE_MAX_STATE, &v) != 0)
            return TW_WIRE_BAD;
        r->state_len = (uint32_t)v;
        return 0;
    case F_EPOCH:
        return tw_wire_read_uint_in(c, 1, UINT64_MAX, &r->epoch);
    case F_STEP:
        return tw_wire_read_uint(c, &r->step);
    case F_STATE:
        return read_state(d, c, r, copy);
    case F_METRICS:
        return tw_wire_read_u32(c, &r->metrics);
    case F_INTERVAL:
        return tw_wire_read_u32(c, &r->interval_ms);
    case F_STATUS:
        return tw_wire_read_status(c, &r->status);
    case F_DROPPED:
        return tw_wire_read_uint(c, &r->dropped);
    case F_ARGS:
        return tw_wire_read_strcpy(c, r->args, TW_WIRE_MAX_ARGS, false);
    case F_TO:
        return tw_wire_read_uint(c, &r->to_step);
    case F_COUNT:
        break;
    }
    return TW_WIRE_BAD;
}

/* Checks a METRIC record once all its fields are read: applies the options its kind uses
 * (the others keep their defaults) and checks them and the state length against the kind. */
static int
finish_metric(tw_wire_record *r, const record_extra *x)
{
    r->options = tw_metric_defaults();
    if (r->kind == TW_WIRE_KIND_GAUGE)
        return r->state_len == 1 && !r->args[0] ? 0 : TW_WIRE_BAD;
    if (r->args[0]) { /* the Keras arguments define the metric; "opts" is for old readers */
        tw_metric_ext ext;
        if (tw_metric_options_parse((tw_metric_kind)r->kind, r->args, &r->options, &ext, NULL, 0) !=
            0)
            return TW_WIRE_BAD;
        return tw_wire_state_len_ok(r->kind, &r->options, r->args, r->state_len) ? 0 : TW_WIRE_BAD;
    }
    if (tw_kind_uses_threshold(r->kind) && (x->opts & BIT(O_THRESHOLD)))
        r->options.threshold = x->o.threshold;
    if (tw_kind_uses_k(r->kind) && (x->opts & BIT(O_K)))
        r->options.k = x->o.k;
    if (r->kind == TW_METRIC_AUC) {
        if (x->opts & BIT(O_NT))
            r->options.num_thresholds = x->o.num_thresholds;
        if (x->opts & BIT(O_CURVE))
            r->options.curve = x->o.curve;
        if (x->opts & BIT(O_SUM))
            r->options.summation = x->o.summation;
    }
    return tw_wire_state_len_ok(r->kind, &r->options, NULL, r->state_len) ? 0 : TW_WIRE_BAD;
}

/* Finds the record type: the value of the first "t" key among the n entries at c (c is not
 * moved). Returns 0 or TW_WIRE_BAD (no "t", or not a uint). */
static int
find_type(const tw_wire_cursor *c, uint32_t n, uint64_t *t)
{
    tw_wire_cursor s = *c;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        size_t len;
        if (tw_wire_read_key(&s, &k, &len) != 0)
            return TW_WIRE_BAD;
        if (k && len == 1 && k[0] == 't')
            return tw_wire_read_uint(&s, t);
        if (tw_wire_skip_value(&s, 0) != 0)
            return TW_WIRE_BAD;
    }
    return TW_WIRE_BAD;
}

/* Makes r all zero again, as the decoder's calloc left it, by zeroing only the field_spans of
 * its type's layout: no other field of a known record is ever set (parse_record sets r->type
 * only for known types, and read_field and finish_metric write only the fields of the layout,
 * each within its spans). */
static void
clear_record(tw_wire_record *r)
{
    const record_layout *lay = &layouts[r->type <= TW_REC_GAP ? r->type : 0];
    for (unsigned j = 0; j < lay->n; j++) {
        const span *s = field_spans[lay->fields[j]];
        for (unsigned k = 0; k < 2; k++) {
            char *p = (char *)r + s[k].off;
            /* constant sizes for the scalars, so that they are plain stores, not calls */
            switch (s[k].len) {
            case 0:
                break;
            case 4:
                memset(p, 0, 4);
                break;
            case 8:
                memset(p, 0, 8);
                break;
            default:
                memset(p, 0, s[k].len);
                break;
            }
        }
    }
    r->type = (tw_record_type)0;
}

/* Parses one record into d->rec. *known is set false for a record of unknown type (or a
 * METRIC of unknown kind), which is skipped. copy: copy the state (the delivery pass).
 * Returns 0 or TW_WIRE_BAD. (wire_decode_impl.h) */
int
tw_wire_parse_record(tw_wire_decoder *d, tw_wire_cursor *c, bool *known, bool copy)
{
    uint32_t n;
    uint64_t t;
    if (tw_wire_read_map(c, &n) != 0 || find_type(c, n, &t) != 0)
        return TW_WIRE_BAD;
    if (t < TW_REC_RUN || t > TW_REC_GAP) {
        *known = false;
        return tw_wire_skip_entries(c, n);
    }
    tw_wire_record *r = &d->rec;
    clear_record(r);
    r->type = (tw_record_type)t;
    const record_layout *lay = &layouts[t];
    record_extra x = {.kind_known = false, .opts = 0, .o = tw_metric_defaults()};
    uint32_t seen = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        size_t len;
        if (tw_wire_read_key(c, &k, &len) != 0)
            return TW_WIRE_BAD;
        /* The encoder writes the layout's keys in order: try the i-th first, then scan. */
        int f = -1;
        for (unsigned j = i < lay->n ? i : 0, tried = 0; k && tried < lay->n; tried++) {
            const struct field_name *fn = &field_names[lay->fields[j]];
            if (len == fn->len && key_is(k, fn)) {
                f = lay->fields[j];
                break;
            }
            j = j + 1 < lay->n ? j + 1 : 0;
        }
        if (f < 0) {
            if (tw_wire_skip_value(c, 0) != 0)
                return TW_WIRE_BAD;
            continue;
        }
        if (seen & BIT(f))
            return TW_WIRE_BAD; /* duplicate key */
        seen |= BIT(f);
        if (read_field(d, c, (enum field)f, r, &x, copy) != 0)
            return TW_WIRE_BAD;
    }
    if ((seen & lay->required) != lay->required)
        return TW_WIRE_BAD;
    *known = true;
    if (r->type == TW_REC_METRIC) {
        if (!x.kind_known) {
            *known = false;
            return 0;
        }
        return finish_metric(r, &x);
    }
    if (r->type == TW_REC_GAP && (r->to_step < r->step || r->dropped == 0))
        return TW_WIRE_BAD;
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Messages                                                                                     */

enum env { E_V, E_RUN, E_INC, E_RANK, E_WORLD, E_RECS, E_COUNT };

static const char *const env_names[E_COUNT] = {
    [E_V] = "v",       [E_RUN] = "run",     [E_INC] = "inc",
    [E_RANK] = "rank", [E_WORLD] = "world", [E_RECS] = "recs",
};

/* The envelope's optional keys: "replay" (uint, a replay's coverage mark) and "join" (str,
 * the run a resumed launch continues), each at most once. Returns 1 when key k was one (its
 * value read into h), 0 when it is another key, -1 for a bad or repeated value. */
static int
optional_key(tw_wire_cursor *c, const uint8_t *k, size_t len, tw_wire_header *h, bool *seen_replay)
{
    if (k && tw_wire_str_is(k, len, "replay")) {
        if (*seen_replay || tw_wire_read_uint(c, &h->replay_through) != 0)
            return -1;
        *seen_replay = true;
        return 1;
    }
    if (k && tw_wire_str_is(k, len, "join")) {
        if (h->join[0] || tw_wire_read_strcpy(c, h->join, TW_WIRE_MAX_NAME, true) != 0)
            return -1;
        return 1;
    }
    return 0;
}

/* Validates the n records at c, the first ones into d->fast (type 0: left to parse_record)
 * unless read already. */
static int
validate_records(tw_wire_decoder *d, tw_wire_cursor *c, uint32_t n, uint64_t *unknown)
{
    for (uint32_t j = 0; j < n; j++) {
        /* a run of records read already, each where the one before it ends (a run log's):
           passed with the counts in locals */
        const tw_wire_fast *pre = d->pre;
        const uint8_t *q = c->p;
        size_t np = d->next_pre, n_pre = d->n_pre;
        uint32_t end = n < TW_WIRE_FAST_MAX ? n : TW_WIRE_FAST_MAX;
        while (j < end && np < n_pre && pre[np].start == q)
            q = pre[np++].next, j++;
        d->next_pre = np;
        c->p = q;
        if (j == n)
            break;
        if (j < TW_WIRE_FAST_MAX) {
            const tw_wire_fast *f = tw_wire_pre_read_at(d, c->p);
            if (f) {
                c->p = f->next;
                continue;
            }
            if (tw_wire_fast_record(c, &d->fast[j]))
                continue;
            d->fast[j].type = 0;
        }
        bool known;
        if (tw_wire_parse_record(d, c, &known, false) != 0)
            return TW_WIRE_BAD;
        *unknown += !known;
    }
    return 0;
}

/* Fills d->rec from a fast-path record as parse_record would (an UPDATE or EPOCH sets all
 * that the one before it set). */
void
tw_wire_fast_deliver(tw_wire_decoder *d, const tw_wire_fast *f)
{
    tw_wire_record *r = &d->rec;
    if (r->type != TW_REC_UPDATE && r->type != TW_REC_EPOCH)
        clear_record(r);
    r->type = (tw_record_type)f->type;
    r->seq = f->seq;
    r->metric_id = f->metric_id;
    r->epoch = f->epoch;
    r->step = f->step;
    r->time = f->time;
    r->state_len = f->state_len;
    r->state = tw_wire_fast_state(f, d->state);
}

/* The validation pass: reads the envelope into *h, validates every record, finds the records
 * (*recs, *n_recs) and counts the unknown ones. Returns 0, TW_WIRE_BAD or -EPROTO. */
int
tw_wire_validate(tw_wire_decoder *d, tw_wire_cursor *c, tw_wire_header *h, tw_wire_cursor *recs,
                 uint32_t *n_recs, uint64_t *unknown)
{
    uint32_t n;
    uint32_t seen = 0;
    bool seen_replay = false;
    if (tw_wire_read_map(c, &n) != 0)
        return TW_WIRE_BAD;
    memset(h, 0, sizeof(*h));
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k;
        size_t len;
        if (tw_wire_read_key(c, &k, &len) != 0)
            return TW_WIRE_BAD;
        int opt = optional_key(c, k, len, h, &seen_replay);
        if (opt < 0)
            return TW_WIRE_BAD;
        if (opt > 0)
            continue;
        int f = -1;
        for (int j = 0; k && j < E_COUNT; j++)
            if (tw_wire_str_is(k, len, env_names[j]))
                f = j;
        if (f < 0) {
            if (tw_wire_skip_value(c, 0) != 0)
                return TW_WIRE_BAD;
            continue;
        }
        if (seen & BIT(f))
            return TW_WIRE_BAD;
        seen |= BIT(f);
        uint64_t v;
        switch (f) {
        case E_V:
            if (tw_wire_read_uint(c, &v) != 0 || v < TW_WIRE_VERSION_MIN) /* no version 0 */
                return TW_WIRE_BAD;
            if (v > TW_WIRE_VERSION)
                return -EPROTO; /* a newer protocol */
            h->version = (uint32_t)v;
            break;
        case E_RUN:
            if (tw_wire_read_strcpy(c, h->run, TW_WIRE_MAX_NAME, true) != 0)
                return TW_WIRE_BAD;
            break;
        case E_INC:
            if (tw_wire_read_uint(c, &h->incarnation) != 0)
                return TW_WIRE_BAD;
            break;
        case E_RANK:
            if (tw_wire_read_u32(c, &h->rank) != 0)
                return TW_WIRE_BAD;
            break;
        case E_WORLD:
            if (tw_wire_read_u32(c, &h->world) != 0)
                return TW_WIRE_BAD;
            break;
        default: /* E_RECS */
            if (tw_wire_read_array_plus(c, n_recs, d->n_pre) != 0 || *n_recs > TW_WIRE_MAX_RECORDS)
                return TW_WIRE_BAD;
            *recs = *c;
            if (validate_records(d, c, *n_recs, unknown) != 0)
                return TW_WIRE_BAD;
            break;
        }
    }
    if (seen != (1u << E_COUNT) - 1 || h->world < 1 || h->rank >= h->world)
        return TW_WIRE_BAD;
    if (c->p != c->end)
        return TW_WIRE_BAD; /* trailing bytes */
    return 0;
}
