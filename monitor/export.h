/* export.h - `trainwatch export` (export.c): the epoch values of run logs as CSV or JSON
 * lines, or one metric as an SVG figure. */
#ifndef TW_EXPORT_H
#define TW_EXPORT_H

/* Runs the subcommand: argv[0] is "export", then its options and SOURCEs. Prints its errors
 * to stderr. Returns the exit status: 0, 1 (a source could not be read, no run, a write
 * failed) or 2 (usage). */
int tw_export_main(int argc, char **argv);

#endif
