/* view_impl.h - the view's state and the functions its files share (not a public header).
 *
 * Design note. The view is split by what each file draws: view.c owns the terminal, the view
 * state, the keys and the geometry; view_chart.c turns the store into chart series and copies
 * the rasterized cells to the screen; view_panels.c draws the title, legend, lists, progress,
 * alerts and key-help lines; view_help.c the help screen and the "too small" message. Keys act
 * on what the last draw showed (its metric names and run rows are cached here), so the cursor
 * moves over what is on the screen, and a key never needs the store. All of it is per view:
 * nothing is global but what ncurses itself holds. */
#ifndef TW_VIEW_IMPL_H
#define TW_VIEW_IMPL_H

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

typedef enum tw_view_focus { TW_FOCUS_CHART, TW_FOCUS_METRICS, TW_FOCUS_RUNS } tw_view_focus;
typedef enum tw_view_xaxis { TW_XAXIS_EPOCH, TW_XAXIS_STEP, TW_XAXIS_TIME } tw_view_xaxis;
typedef enum tw_view_sort { TW_SORT_ARRIVAL, TW_SORT_BEST, TW_SORT_NAME } tw_view_sort;

/* Where everything goes, recomputed by tw_view_layout only. */
typedef struct tw_view_geometry {
    int cols, rows;
    bool too_small;
    bool wide;        /* lists beside the chart */
    size_t metrics_n; /* metric names the metrics list was sized for */
    tw_rect title, legend, chart, metric_line, side, metrics, runs, progress, alerts, help;
} tw_view_geometry;

/* One listed run as the last draw saw it: its id (what keys act on), the store's run (valid
 * during that draw only), its color, whether it is hidden from the chart, and its sort key. */
typedef struct tw_view_row {
    char id[TW_VIEW_NAME];
    const tw_store_run *run;
    int color;
    bool hidden;
    bool has_key;
    double key;   /* best value of the selected metric, negated when the goal is max */
    size_t order; /* arrival index in the store */
} tw_view_row;

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
    bool log_y;
    uint64_t zoom; /* show the last `zoom` epochs; 0: all */
    bool paused;
    bool help;
    bool alerts_panel;
    const tw_alerts *alerts; /* borrowed, may be NULL */
    char notice[160];        /* shown on the alerts line, "" for none */
    char link_problem[320];  /* a connection that fails (authentication), "" for none */
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
    tw_view_row *chart_rows;              /* the runs the chart draws, in drawing order */
    size_t cap_chart_rows;
    /* The chart's last ranges, held while live data fits them (view_chart.c): a new point
     * then moves a few cells, not every cell of a rescaled chart. key: what was charted. */
    struct {
        uint64_t key;
        double x_lo, x_hi, y_lo, y_hi;
    } hold;
};

/* Recomputes every rectangle from the terminal size and the view state (view.c). */
void tw_view_layout(tw_view *v);

/* Whether a run passes the name filter (view.c). */
bool tw_view_run_matches(const tw_view *v, const tw_store_run *run);

/* Whether a run is hidden from the chart by the person (view.c; the hidden ids are kept
 * sorted, so this is a binary search). */
bool tw_view_run_hidden(const tw_view *v, const char *id);

/* The name shown for a run: its name, else its id. */
const char *tw_view_run_label(const tw_store_run *run);

/* The run's color index (1..TW_VIEW_RUN_COLORS), from its arrival order in the store, for a
 * run of the last sync's rows (1 for any other). */
int tw_view_run_color(const tw_view *v, const tw_store_run *run);

/* The curses attributes and pair for a chart color index (TW_VIEW_COLOR_MAIN bit included)
 * and TW_CHART_CELL_* flags. The pair is the run's color; without colors, runs are told apart
 * by underline and italic, cycling, while bold (main line) and dim (validation, envelopes) say
 * what a line is in both cases. */
void tw_view_cell_attr(const tw_view *v, int color, unsigned flags, attr_t *attr, short *pair);

/* The attributes and pair of a run's main chart line: what its legend and list swatches are
 * drawn with, so that a swatch and the curve it names always look the same. */
attr_t tw_view_run_line_attr(const tw_view *v, int color, short *pair);

/* Adds a name to an array (no duplicate check). Returns 0 or -ENOMEM. */
int tw_view_names_push(tw_view_names *a, const char *s);

/* Index of a name in an array, or -1. */
long tw_view_names_find(const tw_view_names *a, const char *s);

/* Rebuilds the cached metric names and run rows from the store (filter and sort applied)
 * and re-resolves the selections by name (view_panels.c). */
void tw_view_sync(tw_view *v, const tw_store *s);

/* Entries the runs list's body shows in a pane of h rows (title, header and the cursor run's
 * detail lines apart; *detail_h receives those detail lines, when not NULL), and the same for
 * the metrics list (view_panels.c). */
int tw_view_runs_page(int h, int *detail_h);
int tw_view_metrics_page(int h);

/* The chart pane: renders the selected metric of the visible runs into r (view_chart.c). */
void tw_view_draw_chart(tw_view *v, const tw_store *s, tw_rect r);

/* The panels (view_panels.c). */
void tw_view_draw_title(tw_view *v, const tw_store *s);
void tw_view_draw_legend(tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_metric_line(tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_metrics(tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_runs(tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_progress(tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_alerts(tw_view *v, const tw_store *s, tw_rect r);
void tw_view_draw_keyhelp(tw_view *v, tw_rect r);

/* The help screen (with the store's delivery delay) and the "too small" message
 * (view_help.c). */
void tw_view_draw_help(tw_view *v, const tw_store *s);
void tw_view_draw_too_small(tw_view *v);

/* Text helpers (view_panels.c). Writes s at (y, x), at most w columns, with attr; returns the
 * columns written. s is UTF-8 (counted as one column per character). */
int tw_view_put(int y, int x, int w, attr_t attr, short pair, const char *s);
/* Puts one character at (y, x) with attr and pair. Returns OK or ERR. */
int tw_view_put_wc(int y, int x, attr_t attr, short pair, wchar_t wc);

/* printf into buf; never overflows, always terminated. */
void tw_view_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A value in at most 9 columns ("0.3412", "1.2e+04", "nan", "-" for none). */
void tw_view_fmt_value(char *buf, size_t size, bool has, double value);

/* A duration in seconds as "0.2s", "9.5s", "45s", "3m05s", "2h04m", "3d02h" (tenths below ten
 * seconds; "?" when unknown or negative). */
void tw_view_fmt_duration(char *buf, size_t size, double seconds);

#endif
