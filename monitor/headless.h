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

/* Metric declarations (METRIC records: one per run, incarnation, rank and metric id) a writer
 * remembers, to name the UPDATE and EPOCH records that follow and compute their "value".
 * Past it, a declaration is counted (tw_jsonl_names_dropped) and its records are written
 * without "metric", "split" and "value". About 130 bytes each with their names; one scratch
 * tw_metric computes the values. */
#define TW_JSONL_MAX_NAMES (1u << 18)

typedef struct tw_jsonl tw_jsonl;

/* A JSON-lines writer to `out` (borrowed). It starts empty: its memory grows with the
 * declarations and epoch values it has seen (tw_jsonl_bytes). NULL with errno ENOMEM.
 * tw_jsonl_destroy is NULL-safe and sets *j to NULL. */
tw_jsonl *tw_jsonl_new(FILE *out);
void tw_jsonl_destroy(tw_jsonl **j);

/* Writes one decoded record. An UPDATE or EPOCH gets its metric's name, split and value from
 * the METRIC record of the same run, incarnation, rank and id seen before (the first one, if
 * repeated); the monitor calls it before tw_store_ingest, and it does not read the store. */
void tw_jsonl_record(tw_jsonl *j, const tw_wire_header *h, const tw_wire_record *r);

/* Writes the epoch values of store s that became final, or changed while final (a late rank,
 * a restart that replaced the epoch), since the last call: each final value once, again only
 * when its value differs from the one written; in store order (runs, series in declaration
 * order, epochs ascending), with the point's values at the time of the call. It reads the
 * store's finals (tw_store_finals_since) from its own cursor, so an idle call costs nothing
 * however long the run; pass the same store every time. With flush_partial (at exit) it
 * scans every point once and also writes those never written that are still partial, with
 * "final": false. Flushes out. */
void tw_jsonl_epochs(tw_jsonl *j, const tw_store *s, bool flush_partial);

/* Declarations not remembered (past TW_JSONL_MAX_NAMES, or out of memory); 0 for NULL. */
uint64_t tw_jsonl_names_dropped(const tw_jsonl *j);

/* The store's finals the writer has read (as tw_alerts_finals_read). */
uint64_t tw_jsonl_finals_read(const tw_jsonl *j);

/* Heap bytes of the writer's tables (declarations with their names, values written, the
 * finals waiting to be written), not of the scratch metric nor of the line buffer; 0 for NULL. */
size_t tw_jsonl_bytes(const tw_jsonl *j);

/* Appends alert event e to o as one object: type, id, event, rule, severity, time, run, then
 * metric, split, epoch, step, value, best_epoch and best_value when they apply, and text. */
void tw_alert_to_json(tw_json *o, const tw_alert *e);

/* Prints one alert event for --check and --jsonl: as a line of text ("TIME RUN metric/split
 * epoch E RULE fired|cleared: sentence", RUN the run's display name run_label, or its id when
 * that is NULL), or with json as one JSON object a line (tw_alert_to_json, with the run id).
 * Flushes out. */
void tw_alert_print(FILE *out, const tw_alert *e, const char *run_label, bool json);

/* Prints a link's change as one JSON line: {"type":"link","address","state","detail"}.
 * Flushes out. */
void tw_link_print_json(FILE *out, const char *address, const char *state, const char *detail);

#endif
