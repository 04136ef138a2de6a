/* xmap.h - where a run's epoch points and per-step samples go on the chart's x axis (epoch,
 * step or wall time), shared by the chart's frame, its cursor and its SVG export. */
#ifndef TW_XMAP_H
#define TW_XMAP_H

#include "view_state.h"

/* Splits a run has per metric, in the order the chart reads them (ser[] arrays). */
#define TW_VIEW_N_SPLITS 3

/* How one run's values map to x. */
typedef struct tw_view_xmap {
    tw_view_xaxis axis;
    bool step_mode;
    double origin; /* wall-time axis: the run's start */
    double spe;    /* steps per epoch (0: unknown) */
} tw_view_xmap;

/* The run's mapping for the view's axis and mode; ser[] are its train, val and test series
 * of the charted metric (any may be NULL). */
void tw_view_xmap_init(tw_view_xmap *m, const tw_view *v, const tw_store_run *run,
                       const tw_store_series *const *ser);

/* x of an epoch-end point. */
double tw_view_xmap_point(const tw_view_xmap *m, uint64_t epoch, uint64_t step, double time);

/* x of a per-step sample at `step` (epoch axis: fractional epochs, when known). */
double tw_view_xmap_step(const tw_view_xmap *m, double step, double time);

/* x where epoch e of the run ended, from any split's point (NAN when unknown). */
double tw_view_xmap_epoch_end(const tw_view_xmap *m, const tw_store_series *const *ser, uint64_t e);

#endif
