/* input.c - the monitor's keymap: one table binds keys to actions and documents them. */
#include "input.h"

#include <curses.h>

#define CTRL_KEY(c) ((c)&0x1f)

/* The order here is the order of the help screen. */
static const tw_binding bindings[] = {
    {{'q', 'Q', 0}, "q Q", TW_ACT_QUIT, "quit", "quit"},
    {{'?', KEY_F(1), 0}, "? F1", TW_ACT_HELP, "this help (any key closes it)", "help"},
    {{KEY_LEFT, '[', 0},
     "Left Right",
     TW_ACT_METRIC_PREV,
     "previous / next metric ([ ] too)",
     NULL},
    {{KEY_RIGHT, ']', 0}, "Right ]", TW_ACT_METRIC_NEXT, NULL, NULL},
    {{KEY_UP, 'k', 0}, "Up Down", TW_ACT_UP, "move in the focused list (k j too)", NULL},
    {{KEY_DOWN, 'j', 0}, "Down j", TW_ACT_DOWN, NULL, NULL},
    {{KEY_PPAGE, CTRL_KEY('b'), 0},
     "PgUp PgDn",
     TW_ACT_PAGE_UP,
     "a page up / down (^B ^F too)",
     NULL},
    {{KEY_NPAGE, CTRL_KEY('f'), 0}, "PgDn ^F", TW_ACT_PAGE_DOWN, NULL, NULL},
    {{KEY_HOME, 'g', 0}, "Home End", TW_ACT_HOME, "first / last entry (g G too)", NULL},
    {{KEY_END, 'G', 0}, "End G", TW_ACT_END, NULL, NULL},
    {{'\t', 0, 0},
     "Tab S-Tab",
     TW_ACT_FOCUS_NEXT,
     "focus: metrics, runs (narrow: and chart)",
     "focus"},
    {{KEY_BTAB, 0, 0}, "S-Tab", TW_ACT_FOCUS_PREV, NULL, NULL},
    {{' ', 0, 0}, "Space", TW_ACT_TOGGLE_RUN, "show / hide the run under the cursor", "run"},
    {{'o', 0, 0}, "o", TW_ACT_SOLO_RUN, "only that run; again: every run", NULL},
    {{'x', 0, 0}, "x", TW_ACT_XAXIS, "x-axis: epoch / step / time", "x-axis"},
    {{'m', 0, 0}, "m", TW_ACT_MODE, "chart per epoch / per step", "epoch/step"},
    {{'z', 0, 0}, "z 1-4", TW_ACT_SMOOTH, "smoothing off / 0.6 / 0.9 / 0.99", "smooth"},
    {{'1', 0, 0}, "1", TW_ACT_SMOOTH_0, NULL, NULL},
    {{'2', 0, 0}, "2", TW_ACT_SMOOTH_1, NULL, NULL},
    {{'3', 0, 0}, "3", TW_ACT_SMOOTH_2, NULL, NULL},
    {{'4', 0, 0}, "4", TW_ACT_SMOOTH_3, NULL, NULL},
    {{'e', 0, 0}, "e", TW_ACT_ENVELOPE, "per-step min/max envelope on / off", NULL},
    {{'E', 0, 0}, "E", TW_ACT_ERRBARS, "+-1 SE bars on validation points", NULL},
    {{'l', 0, 0}, "l", TW_ACT_LOGY, "logarithmic y-axis on / off", "log"},
    {{'+', '=', 0},
     "+ - 0",
     TW_ACT_ZOOM_IN,
     "zoom to the last N epochs / out / all (= _ too)",
     "zoom"},
    {{'-', '_', 0}, "-", TW_ACT_ZOOM_OUT, NULL, NULL},
    {{'0', 0, 0}, "0", TW_ACT_ZOOM_RESET, NULL, NULL},
    {{'c', 0, 0}, "c", TW_ACT_CURSOR, "chart cursor, readout on / off (Esc)", NULL},
    {{',', '<', 0}, ", .", TW_ACT_CURSOR_PREV, "cursor: previous / next epoch (< >)", NULL},
    {{'.', '>', 0}, ".", TW_ACT_CURSOR_NEXT, NULL, NULL},
    {{'p', 0, 0}, "p", TW_ACT_PAUSE, "pause / resume the display", "pause"},
    {{'/', 0, 0}, "/", TW_ACT_FILTER, "filter runs by name (regex; empty: off)", "filter"},
    {{'s', 0, 0}, "s", TW_ACT_SORT, "sort runs: arrival / best / name", "sort"},
    {{'a', 0, 0}, "a", TW_ACT_ALERTS, "alerts panel on / off", "alerts"},
    {{'A', 0, 0}, "A", TW_ACT_ACK, "acknowledge the alerts (no longer marked new)", NULL},
    {{'b', 0, 0}, "b", TW_ACT_ASCII, "braille / ASCII chart", NULL},
    {{'M', 0, 0}, "M", TW_ACT_GRID, "grid of every metric (Enter opens)", "grid"},
    {{'W', 0, 0}, "W", TW_ACT_SVG, "the chart as an SVG file in ./", NULL},
    {{'w', 0, 0}, "w h", TW_ACT_SWEEP, "sweep view on / off; next parameter", "sweep"},
    {{'h', 0, 0}, "h", TW_ACT_SWEEP_PARAM, NULL, NULL},
    {{CTRL_KEY('l'), 0, 0}, "^L", TW_ACT_REDRAW, "repaint the terminal", NULL},
};

tw_action
tw_input_action(int key)
{
    size_t n = sizeof bindings / sizeof bindings[0];

    if (key == KEY_RESIZE)
        return TW_ACT_RESIZE;
    if (key == 0 || key == ERR)
        return TW_ACT_NONE;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 3; k++)
            if (bindings[i].keys[k] == key)
                return bindings[i].action;
    return TW_ACT_NONE;
}

const tw_binding *
tw_input_bindings(size_t *n)
{
    *n = sizeof bindings / sizeof bindings[0];
    return bindings;
}
