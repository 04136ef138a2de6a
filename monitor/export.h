/* export.h - `trainwatch export` (export.c): the epoch values of run logs as CSV or JSON
 * lines, or one metric as an SVG figure. */
#ifndef TW_EXPORT_H
#define TW_EXPORT_H

#include "store.h"

#include <stdio.h>

typedef enum tw_export_format { TW_EXPORT_CSV, TW_EXPORT_JSONL, TW_EXPORT_SVG } tw_export_format;

/* Writes the store's epoch values (of `metric` only, when not NULL) to f, CSV or JSON lines,
 * in store order (runs, series in declaration order, epochs): one row a value with run (the
 * name, else the id), run_id, metric, split, epoch, step, time, value, stderr (empty / null
 * where undefined), ranks; a CSV field with a comma, a quote or a blank at either end is
 * quoted, control bytes become '?', numbers read back exactly. With TW_EXPORT_SVG, the figure
 * of `metric` (NULL: the first metric of the first run) over every run (svg.h). Returns 0,
 * -EINVAL (NULL f or s), -ENOENT (no such metric in the runs) or -ENOMEM. Does not flush f. */
int tw_export_write(FILE *f, const tw_store *s, tw_export_format fmt, const char *metric);

/* Runs the subcommand: argv[0] is "export", then its options and SOURCEs. Prints its errors
 * to stderr. Returns the exit status: 0, 1 (a source could not be read, no run, a write
 * failed) or 2 (usage). */
int tw_export_main(int argc, char **argv);

#endif
