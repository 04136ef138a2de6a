/* sweep.h - the sweep view (key w): each trial of a study, its best value against one of the
 * study's hyperparameters (key h picks which), in the chart's place.
 *
 * Design note. sweep_frame.c is the update path: it finds the study (the runs cursor's, else
 * the first), collects its trials from the model (monitor/model/study.h), chooses the x axis
 * (log10 when the values are positive and span more than a decade: learning rates, weight
 * decays), asks the model's rasterizer for the scatter and places the tick labels.
 * pane_sweep.c only copies that frame to the screen. The frame is the view's, kept between
 * frames so that a steady frame allocates nothing. */
#ifndef TW_SWEEP_H
#define TW_SWEEP_H

#include "rect.h"
#include "study.h"
#include "view_state.h"

#include <stdbool.h>
#include <stddef.h>

#define TW_SWEEP_TICKS 8
#define TW_SWEEP_LABEL 16
/* Columns left of the plot for the y labels. */
#define TW_SWEEP_YLAB_W 9

typedef struct tw_sweep_tick {
    int pos; /* column (x) or row (y) within the plot */
    char text[TW_SWEEP_LABEL];
} tw_sweep_tick;

struct tw_sweep_frame {
    const char *message; /* why nothing is plotted (a constant string), or NULL */
    char study[TW_VIEW_NAME];
    char param[TW_VIEW_NAME];               /* the hyperparameter on x, "" when none */
    char objective[TW_VIEW_NAME + 32];      /* "loss (val, min)" */
    char best[256];                         /* "best: trial 5 0.1506 at epoch 7" */
    size_t n_params;                        /* the study's plottable hyperparameters */
    size_t param_index;                     /* which one is on x */
    size_t trials, plotted, pruned, failed; /* pruned, failed: plotted as crosses */
    bool log_y;                             /* y on log10 (key l, every best positive) */
    tw_rect plot;                           /* the scatter's cells, absolute */
    tw_scatter sc;
    tw_sweep_tick xt[TW_SWEEP_TICKS], yt[TW_SWEEP_TICKS];
    int n_xt, n_yt;
    tw_study_trial *t; /* scratch */
    size_t cap_t;
    tw_scatter_point *pts;
    size_t cap_pts;
    const char **keys;
    size_t cap_keys;
};

/* Builds the sweep frame for the chart rectangle r (the update path). */
void tw_view_sweep_frame(tw_view *v, const tw_store *s, tw_rect r);

/* Frees the frame (NULL-safe; sets *f to NULL). */
void tw_sweep_frame_destroy(tw_sweep_frame **f);

/* The sweep pane: its header on the legend line `head` (when it has a row) and the scatter
 * at r (pane_sweep.c). */
void tw_view_draw_sweep(const tw_view *v, tw_rect head, tw_rect r);

#endif
