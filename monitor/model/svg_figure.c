/* svg_figure.c - one metric of a store's runs as an SVG figure (lines from the epoch points). */
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of a legend label, NUL included. */
#define LABEL (TW_WIRE_MAX_NAME + 8)

/* One line's points and label. */
typedef struct line_data {
    double *xy; /* n x, then n y */
    char label[LABEL];
} line_data;

/* Fills line l (and its data d) from series se of run. Returns 0 or -ENOMEM. */
static int
fill_line(tw_svg_line *l, line_data *d, const tw_store_run *run, const tw_store_series *se,
          bool best, tw_svg_x_fn x_of, void *ctx)
{
    size_t n = se->n_points;

    d->xy = malloc((n ? n : 1) * 2 * sizeof *d->xy);
    if (!d->xy)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const tw_store_point *p = &se->points[i];
        d->xy[i] = x_of ? x_of(ctx, run, p) : (double)p->epoch;
        d->xy[n + i] = p->value;
    }
    snprintf(d->label, sizeof d->label, "%s %s", run->name[0] ? run->name : run->id,
             se->split == TW_SPLIT_VAL ? "val" : "train");
    l->x = d->xy;
    l->y = d->xy + n;
    l->n = n;
    l->dashed = se->split == TW_SPLIT_VAL;
    l->label = d->label;
    const tw_store_point *b =
        best && se->has_best ? tw_store_series_point(se, se->best_epoch) : NULL;
    l->has_best = b != NULL;
    if (b) {
        l->best_x = d->xy[b - se->points];
        l->best_y = b->value;
    }
    return 0;
}

char *
tw_svg_metric_figure(const tw_store_run *const *runs, const int *colors, size_t nruns,
                     const char *metric, const tw_svg_spec *spec, tw_svg_x_fn x_of, void *ctx,
                     size_t *len)
{
    static const tw_split splits[2] = {TW_SPLIT_TRAIN, TW_SPLIT_VAL};
    tw_svg_line *lines = calloc(nruns * 2 + 1, sizeof *lines);
    line_data *data = calloc(nruns * 2 + 1, sizeof *data);
    size_t n = 0;
    char *out = NULL;
    int err = ENOMEM;

    if (!lines || !data || !metric || (nruns && !runs)) {
        err = lines && data ? EINVAL : ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < nruns; i++) {
        const tw_store_series *se[2];
        for (int k = 0; k < 2; k++)
            se[k] = tw_store_find_series(runs[i], metric, splits[k]);
        const tw_store_series *best = se[1] && se[1]->has_best ? se[1] : se[0];
        for (int k = 0; k < 2; k++) {
            if (!se[k])
                continue;
            lines[n].color = colors ? colors[i] : (int)i;
            if (fill_line(&lines[n], &data[n], runs[i], se[k], se[k] == best, x_of, ctx) < 0)
                goto done;
            n++;
        }
    }
    out = tw_svg_render(spec, lines, n, len);
    err = errno;
done:
    for (size_t i = 0; data && i < n; i++)
        free(data[i].xy);
    free(lines);
    free(data);
    if (!out)
        errno = err;
    return out;
}
