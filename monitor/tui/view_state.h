/* view_state.h - the view's state (not a public header): what the person chose, what the
 * last sync took from the store, the geometry, and the functions over that state.
 *
 * Design note. The view is layered. view_state.c and layout.c hold and compute the state;
 * keys.c changes it from keys and returns flags, and never draws; chart_frame.c builds the
 * chart's frame in the update path; the panes (pane_*.c, over draw.c) read the state and the
 * store through const pointers and only write cells; view.c owns the terminal and runs one
 * frame: update (sync, layout, chart frame), then the panes. Keys act on what the last sync
 * showed (its metric names and run rows are kept here), so the cursor moves over what is on
 * the screen, and a key never needs the store. All of it is per view: nothing is global but
 * what ncurses itself holds. */
#ifndef TW_VIEW_STATE_H
#define TW_VIEW_STATE_H

#include "alerts.h"
#include "chart.h"
#include "list.h"
#include "rect.h"
#include "store.h"
#include "view.h"

#include <curses.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The smallest terminal the layout accepts; below it the view says so, centered. */
#define TW_VIEW_MIN_COLS 40
#define TW_VIEW_MIN_ROWS 10
/* From this width on, the metrics and runs lists sit beside the chart. */
#define TW_VIEW_WIDE_COLS 100
/* Run colors (color pairs 1..8); more runs reuse them. */
#define TW_VIEW_RUN_COLORS 8
/* Or-ed into a chart series' color index (the rasterizer passes it through to the cells): the
 * series is a run's main line (training, or the per-step mean), drawn bold, so that at small
 * font sizes it reads as solid beside the dim, dotted validation line. Cells that are also
 * TW_CHART_CELL_DIM (envelopes, restart rules) stay dim. */
#define TW_VIEW_COLOR_MAIN 0x80u
/* Bytes of a name kept by the view (a run id, a metric name), NUL included. */
#define TW_VIEW_NAME (TW_WIRE_MAX_NAME + 1)
/* Bytes of the filter's regular expression, NUL included. */
#define TW_VIEW_FILTER 256

/* Color pairs beyond the run colors. */
enum {
    TW_PAIR_TITLE = TW_VIEW_RUN_COLORS + 1,
    TW_PAIR_ERROR,
    TW_PAIR_GOOD,
    TW_PAIR_BAR,
    TW_PAIR_COUNT
};

/* Color pairs TW_PAIR_SHADE.. (one a run color, on 256-colour terminals): a darker shade of
 * the run's color, for its per-step envelope. */
#define TW_PAIR_SHADE TW_PAIR_COUNT

typedef enum tw_view_focus { TW_FOCUS_CHART, TW_FOCUS_METRICS, TW_FOCUS_RUNS } tw_view_focus;
typedef enum tw_view_xaxis { TW_XAXIS_EPOCH, TW_XAXIS_STEP, TW_XAXIS_TIME } tw_view_xaxis;
typedef enum tw_view_sort { TW_SORT_ARRIVAL, TW_SORT_BEST, TW_SORT_NAME } tw_view_sort;

/* What the chart's last frame holds: a grid to copy, or a reason to show instead. */
typedef enum tw_view_chart_status {
    TW_VIEW_CHART_NONE,    /* not rendered (the chart is not shown) */
    TW_VIEW_CHART_GRID,    /* a grid (maybe with a message over it: no data, every run hidden) */
    TW_VIEW_CHART_NO_ROOM, /* too small for a chart */
    TW_VIEW_CHART_WAITING, /* no runs yet */
    TW_VIEW_CHART_NO_METRIC,
    TW_VIEW_CHART_NO_MEMORY,
    TW_VIEW_CHART_FAILED
} tw_view_chart_status;

/* Where everything goes, recomputed by tw_view_layout only. */
typedef struct tw_view_geometry {
    int cols, rows;
    bool too_small;
    bool wide;        /* lists beside the chart */
    size_t metrics_n; /* metric names the metrics list was sized for */
    tw_rect title, legend, chart, metric_line, side, metrics, runs, progress, alerts, help;
    tw_rect grid; /* the metrics grid, when open: the whole body */
} tw_view_geometry;

/* Runs the cursor's readout lists, at most (a last line counts the others). */
#define TW_VIEW_READOUT_RUNS 8
/* Bytes of one readout line, NUL included. */
#define TW_VIEW_READOUT_LINE 192

/* The chart cursor (cursor.c): where it is, and the readout the last frame made for it. */
typedef struct tw_view_cursor {
    bool on;
    bool follow;     /* at the right edge: follows the newest epoch (step) */
    uint64_t back;   /* while following, epochs (steps) the keys moved it back since the last
                        frame, which places it there */
    uint64_t epoch;  /* where it is in the per-epoch chart */
    uint64_t step;   /* ... and in the per-step chart */
    uint64_t stride; /* steps a key moves it in the per-step chart (from the last frame) */
    int click_col;   /* a screen column clicked in the chart, placed at the next frame; -1 */
    int col;         /* its screen column in the last frame; -1: outside the plot */
    int plot_row, plot_h, plot_x, plot_w; /* the plot's cells on the screen */
    size_t n_lines; /* readout lines: a header, one a run, maybe "+ N more runs" */
    char lines[TW_VIEW_READOUT_RUNS + 2][TW_VIEW_READOUT_LINE];
    int colors[TW_VIEW_READOUT_RUNS + 2]; /* each line's run color, 0 for none */
} tw_view_cursor;

/* A chart's ranges held while live data fits them (chart_frame.c); key: what was charted. */
typedef struct tw_view_hold {
    uint64_t key;
    double x_lo, x_hi, y_lo, y_hi;
} tw_view_hold;

/* Cards of the metrics grid on one page, at most. */
#define TW_VIEW_GRID_MAX 48

/* One card of the metrics grid (grid.c): its rectangle (a title line, then the chart), the
 * metric it shows, its chart's grid and status, and its title's values. */
typedef struct tw_view_card {
    tw_rect r;
    size_t metric; /* index into the view's metric names */
    tw_chart *chart;
    tw_view_chart_status status;
    tw_view_hold hold; /* its own held ranges (the chart's frame keeps them) */
    size_t runs, series;
    char values[96]; /* "0.4911  val 0.4665" of the runs cursor's run */
} tw_view_card;

/* One listed run as the last draw saw it: its id (what keys act on), the store's run (valid
 * during that draw only), its color, whether it is hidden from the chart, and its sort key. */
typedef struct tw_view_row {
    char id[TW_VIEW_NAME];
    const tw_store_run *run;
    int color;
    bool hidden;
    bool has_key;
    double key;   /* best value of the selected metric, negated when the goal is max (a
                     study's trial: of the study's objective) */
    size_t group; /* 0, or 1 + the study's place: a study's trials are listed together,
                     after the runs of no study (view_study.c) */
    int tier;     /* a trial's leaderboard tier: 0 complete or running, 1 pruned, 2 failed */
    size_t order; /* arrival index in the store */
} tw_view_row;

/* The sweep view's frame (sweep.h). */
typedef struct tw_sweep_frame tw_sweep_frame;

typedef struct tw_view_name {
    char s[TW_VIEW_NAME];
} tw_view_name;

/* A growing array of names. */
typedef struct tw_view_names {
    tw_view_name *v;
    size_t n, cap;
} tw_view_names;

struct tw_view {
    SCREEN *screen;
    int in_fd;
    bool utf8;    /* the locale is UTF-8: braille and box-drawing glyphs */
    bool color;   /* color pairs are in use */
    bool shades;  /* ... and the darker shades of the run colors (256 colours) */
    bool braille; /* charts in braille (utf8 and not toggled to ASCII) */
    tw_view_geometry g;

    /* What the person chose. */
    char metric[TW_VIEW_NAME];     /* selected metric name, "" until one exists */
    char cursor_run[TW_VIEW_NAME]; /* id of the run under the runs cursor, "" for none */
    tw_view_focus focus;
    tw_view_xaxis xaxis;
    bool step_mode; /* per-step chart instead of per-epoch */
    int smooth;     /* index into the store's smoothing weights */
    bool envelope;  /* per-step min/max envelope */
    bool errbars;   /* +-SE bars on the validation points (key E) */
    bool log_y;
    uint64_t zoom; /* show the last `zoom` epochs; 0: all */
    struct {
        bool on;
        double lo, hi;           /* the x range the wheel zoomed to (the chart's x units) */
        double full_lo, full_hi; /* the range shown when the zoom began */
    } xwin;
    bool mouse; /* the terminal reports the mouse to the view (mouse.c) */
    tw_view_cursor cursor;
    bool grid;           /* the grid of every metric instead of the chart and lists */
    tw_view_card *cards; /* its cards on the page of the selected metric (grid.c) */
    size_t n_cards, n_charts, cap_cards; /* cards shown, cards with a chart, allocated */
    size_t grid_cols, grid_per_page, grid_pages, grid_page;
    bool paused;
    bool help;
    bool alerts_panel;
    const tw_alerts *alerts; /* borrowed, may be NULL */
    const tw_delay *delay;   /* the delivery delay the help shows; borrowed, may be NULL */
    char glpk[64];           /* "GL 4.2%  P5 12.3" of the cursor run's selected metric, from
                                the last sync ("" for none) */
    char notice[160];        /* shown on the alerts line, "" for none */
    char link_problem[320];  /* a connection that fails (authentication), "" for none */
    char message[320];       /* the bottom line's answer to a key (where a file went), until
                                the next key; "" for none */
    bool svg_pending;        /* key W: the next frame writes the chart as SVG */
    tw_view_sort sort;
    tw_view_names hidden; /* ids of runs hidden from the chart */

    /* The run-name filter and its prompt. */
    bool has_filter;
    regex_t filter_re;
    char filter[TW_VIEW_FILTER];
    char filter_err[128]; /* a bad initial filter's error, shown in the title */
    bool prompting;
    char prompt[TW_VIEW_FILTER];
    size_t prompt_len;
    char prompt_err[128];              /* regerror of what is typed, "" when it compiles */
    char prompt_saved[TW_VIEW_FILTER]; /* the filter when the prompt opened (Esc restores it) */

    /* What the last draw showed, for the keys. */
    tw_view_names metrics; /* metric names, in first-seen order */
    tw_list metrics_list;  /* over metrics: the selected metric */
    tw_view_row *rows;     /* the listed runs in display order (filtered, sorted) */
    size_t cap_rows;
    tw_list runs_list;  /* over rows: the runs cursor */
    uint64_t max_epoch; /* newest epoch over the charted runs */

    /* Dirty state. */
    bool full;  /* the next draw redraws everything, even when paused */
    bool clear; /* the next draw repaints the whole terminal */
    /* The screen the last frame handed to ncurses, line by line (view.c): a line the next
     * frame draws the same is not handed again, so ncurses neither copies nor compares it. */
    cchar_t *shown;
    int shown_rows, shown_cols; /* 0 x 0: nothing known (the next frame hands every line) */

    /* The chart's last frame (chart_frame.c), drawn by the chart pane. */
    tw_view_chart_status chart_status;
    size_t chart_runs, chart_series; /* runs and series in it */

    /* Chart scratch, kept between frames so a steady frame allocates nothing. */
    tw_chart *chart;
    double *xy;
    size_t cap_xy;
    tw_chart_series *series;
    size_t cap_series;
    tw_chart_marker *marks;
    size_t cap_marks;
    tw_chart_bucket *buckets;
    size_t cap_buckets;
    tw_view_names param_keys, param_seen; /* the runs table's parameter columns */
    bool sweep;                           /* key w: the sweep view in the chart's place */
    size_t sweep_param;                   /* key h: which hyperparameter is on its x axis */
    tw_sweep_frame *sweep_frame;          /* its last frame (sweep_frame.c); owned */
    tw_view_row *chart_rows;              /* the runs the chart draws, in drawing order */
    size_t cap_chart_rows;
    /* The chart's last ranges, held while live data fits them (view_chart.c): a new point
     * then moves a few cells, not every cell of a rescaled chart. key: what was charted. */
    tw_view_hold hold;
};

/* Recomputes every rectangle, and the lists' geometry, from the terminal size and the view
 * state (layout.c). Reads the terminal's size; writes nothing to it. */
void tw_view_layout(tw_view *v);

/* Entries the runs list's body shows in a pane of h rows (title, header and the cursor run's
 * detail lines apart; *detail_h receives those detail lines, when not NULL), and the same for
 * the metrics list (layout.c). */
int tw_view_runs_page(int h, int *detail_h);
int tw_view_metrics_page(int h);

/* Whether a run passes the name filter. */
bool tw_view_run_matches(const tw_view *v, const tw_store_run *run);

/* Whether a run is hidden from the chart by the person (the hidden ids are kept sorted, so
 * this is a binary search). */
bool tw_view_run_hidden(const tw_view *v, const char *id);

/* The name shown for a run: its label (its name, "name #2" for the second run of that
 * name), else its name, else its id. */
const char *tw_view_run_label(const tw_store_run *run);

/* The run's color index (1..TW_VIEW_RUN_COLORS), from its arrival order in the store, for a
 * run of the last sync's rows (1 for any other). */
int tw_view_run_color(const tw_view *v, const tw_store_run *run);

/* Adds a name to an array (no duplicate check). Returns 0 or -ENOMEM. */
int tw_view_names_push(tw_view_names *a, const char *s);

/* Index of a name in an array, or -1. */
long tw_view_names_find(const tw_view_names *a, const char *s);

/* Removes entry i of a name array, keeping the order (nothing when i is out of range). */
void tw_view_names_remove(tw_view_names *a, size_t i);

/* Orders names (tw_view_name) for qsort and bsearch. */
int tw_view_names_cmp(const void *a, const void *b);

/* Compiles text as the run filter (empty: no filter). On a bad expression the filter is
 * unchanged and err (when not NULL) receives regerror's sentence. Returns 0 or -EINVAL. */
int tw_view_set_filter(tw_view *v, const char *text, char *err, size_t errlen);

/* Rebuilds the metric names, the run rows (filter and sort applied), the lists' counts and
 * selections (re-resolved by name), the varying parameters of the runs table and the alert
 * statistics shown, from the store and the alerts. The update path: call it when the store,
 * the alerts or the choices changed, before drawing. */
void tw_view_sync(tw_view *v, const tw_store *s);

/* The chart's frame, in the update path (chart_frame.c): the selected metric of the charted
 * runs into series, its held ranges, rasterized into v->chart for a pane of r. Sets
 * v->chart_status. */
void tw_view_chart_frame(tw_view *v, const tw_store *s, tw_rect r);

/* The cursor's frame, in the update path after the chart's (cursor.c): places a clicked
 * cursor, keeps a following one on the newest epoch or step, and formats the readout of every
 * charted run at it. */
void tw_view_cursor_frame(tw_view *v);

/* The metrics grid's frame, in the update path (grid.c): the cards of the page that holds
 * the selected metric, sized to g.grid, each rendered as the chart would render its metric. */
void tw_view_grid_frame(tw_view *v, const tw_store *s);

/* Frees the grid's cards and their charts. */
void tw_view_grid_free(tw_view *v);

/* Writes the chart's metric of the charted runs as an SVG file in the working directory
 * (chart_svg.c, in the update path after the chart's frame) and says where in v->message. */
void tw_view_chart_svg(tw_view *v);

/* The x (the chart's data units) at the middle of screen column col of the chart's last
 * render with layout l (cursor.c), and the screen column of x there (-1: outside the plot). */
double tw_view_chart_col_x(const tw_view *v, const tw_chart_layout *l, int col);
int tw_view_chart_x_col(const tw_view *v, const tw_chart_layout *l, double x);

/* The series whose best value ranks a run for `metric`: validation when it has a best, else
 * training, else whichever exists (NULL when none). */
const tw_store_series *tw_view_best_series(const tw_store_run *run, const char *metric);

/* The run under the runs cursor, from the last sync (NULL when there is none). */
const tw_store_run *tw_view_cursor_run(const tw_view *v);

/* The study grouping of the first k rows (view_study.c): each trial's group (its study's
 * place, 1 + ...), tier and key (its best value of the study's objective, else of the
 * selected metric); runs of no study get group 0 and keep their key. */
void tw_view_study_rows(tw_view *v, const tw_store *s, size_t k);

/* Whether a parameter key is one of the study convention's (study, trial, trial_state,
 * objective): not a hyperparameter column. */
bool tw_view_study_key(const char *key);

/* A trial's state name when the run is a trial of a study that is over (complete, pruned,
 * failed), else NULL (view_study.c). */
const char *tw_view_trial_state_text(const tw_store_run *run);

/* A parameter's value as text, and the run's parameter called key (NULL when none). */
void tw_view_param_text(const tw_wire_param *p, char *buf, size_t size);
const tw_wire_param *tw_view_find_param(const tw_store_run *run, const char *key);

#endif
