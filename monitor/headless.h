/* headless.h - the monitor's JSON lines: decoded records, finalized epoch values, alerts, links.
 *
 * JSON lines (doc/trainwatch.1 documents the format): one object per line, either a decoded
 * record ({"type": "update" | "epoch" | "epoch_end" | "metric" | "run" | "heartbeat" |
 * "run_end" | "drops", "run", "inc", "rank", "world", "seq", ...}), a finalized epoch value
 * ({"type": "epoch_value", "run", "metric", "split", "epoch", "value", "ranks", "final"}), an
 * alert ({"type": "alert", ...}) or a link ({"type": "link", ...}). Everything is written with
 * json.h, whose rules (escaping, non-finite numbers as null with a "KEY_nonfinite" sibling)
 * hold for every object. */
#ifndef TW_HEADLESS_H
#define TW_HEADLESS_H

#include "alerts.h"
#include "json.h"
#include "store.h"
#include "wire.h"

#include <stdio.h>

typedef struct tw_jsonl tw_jsonl;

/* A JSON-lines writer to `out` (borrowed). NULL with errno ENOMEM. tw_jsonl_destroy is
 * NULL-safe and sets *j to NULL. */
tw_jsonl *tw_jsonl_new(FILE *out);
void tw_jsonl_destroy(tw_jsonl **j);

/* Writes one decoded record (metric names come from the METRIC records seen before). */
void tw_jsonl_record(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r);

/* Writes every epoch value of the store that became final since the last call (and, with
 * flush_partial, every point not yet written, final or not: at exit). Flushes out. */
void tw_jsonl_epochs(tw_jsonl *j, const tw_store *s, bool flush_partial);

/* Appends alert event e to o as one object: type, id, event, rule, severity, time, run, then
 * metric, split, epoch, step, value, best_epoch and best_value when they apply, and text. */
void tw_alert_to_json(tw_json *o, const tw_alert *e);

/* Prints one alert event for --check and --jsonl: as a line of text ("TIME run metric/split
 * epoch E RULE fired|cleared: sentence"), or with json as one JSON object a line
 * (tw_alert_to_json). Flushes out. */
void tw_alert_print(FILE *out, const tw_alert *e, bool json);

/* Prints a link's change as one JSON line: {"type":"link","address","state","detail"}.
 * Flushes out. */
void tw_link_print_json(FILE *out, const char *address, const char *state, const char *detail);

#endif
