/* input.h - the monitor's keymap: terminal keys to view actions, and the help text of each.
 *
 * Design note. One table binds keys to actions; the view's key handler, its help screen and
 * its one-line key help are all read from it, so a key cannot be documented in one place and
 * bound differently in another. Mapping a key never draws and never touches the view: it only
 * names the action. Keys typed at the filter prompt do not come here (the view's line editor
 * takes them). */
#ifndef TW_INPUT_H
#define TW_INPUT_H

#include <stddef.h>

typedef enum tw_action {
    TW_ACT_NONE = 0,
    TW_ACT_QUIT,        /* leave the program */
    TW_ACT_HELP,        /* open the help screen (any key closes it) */
    TW_ACT_UP,          /* move the cursor of the focused list up */
    TW_ACT_DOWN,        /* ... down */
    TW_ACT_PAGE_UP,     /* ... a page up */
    TW_ACT_PAGE_DOWN,   /* ... a page down */
    TW_ACT_HOME,        /* ... to the first entry */
    TW_ACT_END,         /* ... to the last entry */
    TW_ACT_METRIC_PREV, /* select the previous metric, whatever has the focus */
    TW_ACT_METRIC_NEXT, /* select the next metric */
    TW_ACT_FOCUS_NEXT,  /* cycle the focus: metrics, runs (and the chart when narrow) */
    TW_ACT_FOCUS_PREV,  /* cycle it backwards */
    TW_ACT_TOGGLE_RUN,  /* show or hide the run under the cursor */
    TW_ACT_SOLO_RUN,    /* show only the run under the cursor; again: show every run */
    TW_ACT_XAXIS,       /* cycle the x-axis: epoch, step, wall time */
    TW_ACT_MODE,        /* toggle the per-epoch and the per-step chart */
    TW_ACT_SMOOTH,      /* cycle the smoothing: off, 0.6, 0.9, 0.99 */
    TW_ACT_SMOOTH_0,    /* smoothing off */
    TW_ACT_SMOOTH_1,    /* smoothing 0.6 */
    TW_ACT_SMOOTH_2,    /* smoothing 0.9 */
    TW_ACT_SMOOTH_3,    /* smoothing 0.99 */
    TW_ACT_ENVELOPE,    /* show or hide the min/max envelope of the per-step chart */
    TW_ACT_ERRBARS,     /* show or hide the validation points' standard-error bars */
    TW_ACT_LOGY,        /* toggle the logarithmic y-axis */
    TW_ACT_ZOOM_IN,     /* show fewer of the last epochs */
    TW_ACT_ZOOM_OUT,    /* show more of them */
    TW_ACT_ZOOM_RESET,  /* show every epoch */
    TW_ACT_CURSOR,      /* the chart cursor on / off */
    TW_ACT_CURSOR_PREV, /* move it to the previous epoch (step) */
    TW_ACT_CURSOR_NEXT, /* ... to the next one */
    TW_ACT_SWEEP,       /* the sweep view (each trial's best against a hyperparameter) on / off */
    TW_ACT_SWEEP_PARAM, /* the sweep view's next hyperparameter */
    TW_ACT_PAUSE,       /* freeze or resume the display */
    TW_ACT_FILTER,      /* type a regular expression over run names */
    TW_ACT_SORT,        /* cycle the run order: arrival, best value, name */
    TW_ACT_ALERTS,      /* show or hide the alerts panel */
    TW_ACT_ACK,         /* acknowledge the alerts seen so far */
    TW_ACT_ASCII,       /* toggle braille and ASCII charts */
    TW_ACT_SVG,         /* write the chart as an SVG file */
    TW_ACT_GRID,        /* the grid of every metric on / off (Enter there opens one) */
    TW_ACT_REDRAW,      /* repaint the whole terminal */
    TW_ACT_RESIZE,      /* the terminal changed size */
    TW_ACT_COUNT
} tw_action;

/* One binding: the keys (up to three ncurses key codes, 0 for none), how the help names
 * them, what the action does (NULL: the line above already says it, for pairs like
 * previous / next), and a short word for the key-help line (NULL: not shown there). */
typedef struct tw_binding {
    int keys[3];
    const char *label;
    tw_action action;
    const char *help;
    const char *brief;
} tw_binding;

/* The action bound to an ncurses key code (a character or a KEY_* code), or TW_ACT_NONE. */
tw_action tw_input_action(int key);

/* The binding table, in the order the help screen lists it; *n receives its length. The
 * table is constant and lives for the whole program. */
const tw_binding *tw_input_bindings(size_t *n);

#endif
