/* wire_names.c - the protocol's enumerated strings, shared by the encoder and the decoder. */
#include "wire.h"

#include <stddef.h>

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
