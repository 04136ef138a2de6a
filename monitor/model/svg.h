/* svg.h - a figure of curves as SVG text: axes with ticks, one path a line, best markers and a
 * legend, for a paper or a slide (trainwatch export --format svg, and the UI's key).
 *
 * Design note. The figure is text built in memory (no I/O, no dependency): a plot area with a
 * frame, light grid lines at the ticks (tw_chart_ticks's nice steps; log10 decades with
 * log_y), tick labels, axis labels and a title, then each line as one <path> (a NaN, or y <= 0
 * with log_y, starts a new subpath), its best marker as a <circle>, and a legend entry a
 * labelled line. Paths are used for the curves only, so a figure of n lines has n paths.
 * The x range is the data's; the y range the data's widened to the enclosing ticks. Text
 * (names from the wire) is escaped for XML, control bytes dropped and invalid UTF-8 replaced
 * with U+FFFD, so the output is always well-formed. */
#ifndef TW_SVG_H
#define TW_SVG_H

#include "store.h"

#include <stdbool.h>
#include <stddef.h>

/* Colors of the lines: the UI's palette for 256-colour terminals, in hex. */
#define TW_SVG_COLORS 8

/* Points of a line, at most: longer inputs are refused. */
#define TW_SVG_MAX_POINTS (1u << 22)

typedef struct tw_svg_line {
    const double *x, *y; /* n points; x finite and non-decreasing */
    size_t n;
    int color;     /* 0..TW_SVG_COLORS-1 (others wrap) */
    bool dashed;   /* validation: dashed; training: solid */
    bool has_best; /* a marker at (best_x, best_y) */
    double best_x, best_y;
    const char *label; /* the legend's text; NULL: no legend entry */
} tw_svg_line;

typedef struct tw_svg_spec {
    int width, height;   /* pixels; defaults 720 x 450 (0 takes them) */
    const char *title;   /* NULL: none */
    const char *x_label; /* NULL: "epoch" */
    const char *y_label; /* NULL: none */
    bool log_y;
} tw_svg_spec;

/* Renders the figure. Returns a NUL-terminated string the caller frees, its length in *len
 * (may be NULL); NULL with errno EINVAL (NULL spec, lines NULL with n > 0, a line with n > 0
 * and no x or y, more than TW_SVG_MAX_POINTS points) or ENOMEM. Lines with no drawable point
 * draw nothing but keep their path (empty) and legend entry. */
char *tw_svg_render(const tw_svg_spec *spec, const tw_svg_line *lines, size_t n, size_t *len);

/* The figure of one metric over runs (a store's runs; colors[i] is run i's color, NULL: i):
 * per run its training line solid and its validation line dashed, each labelled "NAME train"
 * or "NAME val" (NAME: the run's name, else its id), the best marker on the split that ranks
 * the run (validation when it has a best, else training). x is the epoch, or x_of(ctx, run,
 * point) when given (the UI's step and wall-time axes). Returns as tw_svg_render. */
typedef double (*tw_svg_x_fn)(void *ctx, const tw_store_run *run, const tw_store_point *p);
char *tw_svg_metric_figure(const tw_store_run *const *runs, const int *colors, size_t nruns,
                           const char *metric, const tw_svg_spec *spec, tw_svg_x_fn x_of, void *ctx,
                           size_t *len);

#endif
