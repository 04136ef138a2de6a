/* xmap.c - where a run's values go on the chart's x axis: epochs, steps or wall time. */
#include "xmap.h"

#include <math.h>

/* The run's time origin for the wall-time axis: its start, else its earliest time seen. */
static double
run_origin(const tw_store_run *run, const tw_store_series *const *ser)
{
    double t = INFINITY;

    if (run->start_time > 0)
        return run->start_time;
    for (int k = 0; k < TW_VIEW_N_SPLITS; k++) {
        const tw_store_series *se = ser[k];
        if (!se)
            continue;
        if (se->n_points && se->points[0].time < t)
            t = se->points[0].time;
        if (se->n_used && se->buckets[0].count && se->buckets[0].t_min < t)
            t = se->buckets[0].t_min;
        if (se->has_live && se->live_time < t)
            t = se->live_time;
    }
    return isfinite(t) ? t : 0;
}

/* Steps per epoch: announced, learned, else estimated from the last epoch point. */
static double
run_spe(const tw_store_run *run, const tw_store_series *const *ser)
{
    if (run->steps_per_epoch)
        return (double)run->steps_per_epoch;
    if (run->steps_per_epoch_learned)
        return (double)run->steps_per_epoch_learned;
    for (int k = 0; k < TW_VIEW_N_SPLITS; k++) {
        const tw_store_series *se = ser[k];
        if (se && se->n_points) {
            const tw_store_point *p = &se->points[se->n_points - 1];
            if (p->step && p->epoch)
                return (double)p->step / (double)p->epoch;
        }
    }
    return 0;
}

double
tw_view_xmap_point(const tw_view_xmap *m, uint64_t epoch, uint64_t step, double time)
{
    switch (m->axis) {
    case TW_XAXIS_STEP:
        return (double)step;
    case TW_XAXIS_TIME:
        return time - m->origin;
    case TW_XAXIS_EPOCH:
        break;
    }
    return (double)epoch;
}

double
tw_view_xmap_step(const tw_view_xmap *m, double step, double time)
{
    switch (m->axis) {
    case TW_XAXIS_STEP:
        return step;
    case TW_XAXIS_TIME:
        return time - m->origin;
    case TW_XAXIS_EPOCH:
        break;
    }
    return m->spe > 0 ? step / m->spe : step;
}

double
tw_view_xmap_epoch_end(const tw_view_xmap *m, const tw_store_series *const *ser, uint64_t e)
{
    if (m->axis == TW_XAXIS_EPOCH)
        return (double)e;
    for (int k = 0; k < TW_VIEW_N_SPLITS; k++) {
        const tw_store_point *p = tw_store_series_point(ser[k], e);
        if (p)
            return tw_view_xmap_point(m, e, p->step, p->time);
    }
    if (m->axis == TW_XAXIS_STEP && m->spe > 0)
        return (double)e * m->spe;
    return NAN;
}

void
tw_view_xmap_init(tw_view_xmap *m, const tw_view *v, const tw_store_run *run,
                  const tw_store_series *const *ser)
{
    m->axis = v->xaxis;
    m->step_mode = v->step_mode;
    m->origin = run_origin(run, ser);
    m->spe = run_spe(run, ser);
}
