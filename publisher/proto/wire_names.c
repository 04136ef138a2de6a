/* wire_names.c - the protocol's enumerated strings and option equality, shared by the encoder,
 * the decoder and the monitor. */
#include "metric_impl.h"
#include "wire.h"

#include <stddef.h>

bool
tw_wire_options_equal(const tw_metric_options *a, const tw_metric_options *b)
{
    return a->threshold == b->threshold && a->k == b->k && a->num_thresholds == b->num_thresholds &&
           a->curve == b->curve && a->summation == b->summation;
}

tw_metric *
tw_wire_metric_new(int kind, const tw_metric_options *o, const char *args)
{
    if (args && args[0])
        return tw_metric_new_opts((tw_metric_kind)kind, args);
    return tw_metric_new((tw_metric_kind)kind, o);
}

size_t
tw_wire_metric_state_size(int kind, const tw_metric_options *o, const char *args)
{
    if (args && args[0])
        return tw_metric_state_size_opts((tw_metric_kind)kind, args);
    return tw_metric_state_size_for((tw_metric_kind)kind, o);
}

const char *
tw_wire_split_name(tw_split split)
{
    switch (split) {
    case TW_SPLIT_TRAIN:
        return "train";
    case TW_SPLIT_VAL:
        return "val";
    case TW_SPLIT_TEST:
        return "test";
    }
    return NULL;
}

const char *
tw_wire_status_name(tw_run_status status)
{
    switch (status) {
    case TW_RUN_OK:
        return "ok";
    case TW_RUN_FAILED:
        return "failed";
    case TW_RUN_INTERRUPTED:
        return "interrupted";
    }
    return NULL;
}

const char *
tw_wire_goal_name(tw_goal goal)
{
    switch (goal) {
    case TW_GOAL_MIN:
        return "min";
    case TW_GOAL_MAX:
        return "max";
    case TW_GOAL_UNKNOWN:
        break;
    }
    return NULL;
}

bool
tw_wire_state_len_ok(int kind, const tw_metric_options *o, const char *args, uint32_t n)
{
    if (kind == TW_WIRE_KIND_GAUGE)
        return n == 1 && !(args && args[0]);
    if (kind < TW_METRIC_MEAN || kind >= TW_METRIC_KIND_END)
        return false;
    size_t want = tw_wire_metric_state_size(kind, o, args);
    return want != 0 && (n == want || (tw_kind_has_moments(kind) && n == TW_METRIC_LEGACY_LEN));
}
