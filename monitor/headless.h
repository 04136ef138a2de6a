/* headless.h - the monitor's output for scripts: JSON lines and the --once summary table.
 *
 * JSON lines (doc/trainwatch.1 documents the format): one object per line, either a decoded
 * record ({"type": "update" | "epoch" | "epoch_end" | "metric" | "run" | "heartbeat" |
 * "run_end" | "drops", "run", "inc", "rank", "world", "seq", ...}) or a finalized epoch value
 * ({"type": "epoch_value", "run", "metric", "split", "epoch", "value", "ranks", "final"}).
 * Non-finite numbers are written as null with a "nonfinite" field naming them, since JSON has
 * no NaN. */
#ifndef TW_HEADLESS_H
#define TW_HEADLESS_H

#include "alerts.h"
#include "store.h"
#include "wire.h"

#include <stdio.h>

typedef struct tw_jsonl tw_jsonl;

/* A JSON-lines writer to `out` (borrowed). NULL with errno ENOMEM. */
tw_jsonl *tw_jsonl_new(FILE *out);
void tw_jsonl_destroy(tw_jsonl **j);

/* Writes one decoded record (metric names come from the METRIC records seen before). */
void tw_jsonl_record(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r);

/* Writes every epoch value of the store that became final since the last call (and, with
 * flush_partial, every point not yet written, final or not: at exit). */
void tw_jsonl_epochs(tw_jsonl *j, const tw_store *s, bool flush_partial);

/* Prints the --once table: per run and metric, the latest and best value per split. */
void tw_summary_print(FILE *out, const tw_store *s, double now);

/* Prints one alert event for --check: as a line of text ("TIME run metric/split epoch E
 * RULE fired|cleared: sentence"), or with json as one JSON object a line (tw_alert_json). */
void tw_alert_print(FILE *out, const tw_alert *e, bool json);

/* Writes s as a JSON string (quotes and escapes included). */
void tw_json_string(FILE *out, const char *s);

#endif
