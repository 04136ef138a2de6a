/* panes.h - the panes of the view: each draws one rectangle of the screen.
 *
 * A pane reads the view's state and the store through const pointers and writes cells of
 * stdscr; it changes nothing else. What a pane shows that must be computed (sorted rows,
 * varying parameters, alert statistics, the chart's frame) is computed in the update path
 * (tw_view_sync, tw_view_chart_frame) before the panes draw. */
#ifndef TW_PANES_H
#define TW_PANES_H

#include "draw.h"

/* The chart pane: the last frame's grid at r, or why there is none (pane_chart.c); and any
 * chart's grid so (a card of the metrics grid), with its frame's status and counts. */
void tw_view_draw_chart(const tw_view *v, tw_rect r);
void tw_view_draw_a_chart(const tw_view *v, const tw_chart *chart, tw_view_chart_status status,
                          size_t runs, size_t series, tw_rect r);

/* The grid of every metric: the last grid frame's cards (pane_grid.c). */
void tw_view_draw_grid(const tw_view *v);

/* The chart cursor's column and readout over the chart pane at r (pane_cursor.c). */
void tw_view_draw_cursor(const tw_view *v, tw_rect r);

/* The one-line panes (pane_bars.c); the bottom line is the filter prompt while one is open,
 * else the key help. */
void tw_view_draw_title(const tw_view *v, const tw_store *s);
void tw_view_draw_legend(const tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_keyhelp(const tw_view *v, tw_rect r);
void tw_view_draw_bottom(const tw_view *v);

/* The metrics list and the selected metric's line (pane_metrics.c). */
void tw_view_draw_metrics(const tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_metric_line(const tw_view *v, const tw_store *s, tw_rect r);

/* The runs table (pane_runs.c). */
void tw_view_draw_runs(const tw_view *v, const tw_store *s, tw_rect r);

/* The progress line of the cursor's run (pane_progress.c). */
void tw_view_draw_progress(const tw_view *v, const tw_store *s, tw_rect r);

/* The alerts line or panel (pane_alerts.c). */
void tw_view_draw_alerts(const tw_view *v, tw_rect r);

/* The help screen (with the delivery delay of tw_view_set_delay) and the "too small" message
 * (pane_help.c). */
void tw_view_draw_help(const tw_view *v);
void tw_view_draw_too_small(const tw_view *v);

#endif
