/* keys.c - keys to view-state changes: each returns flags saying what the caller must do
 * (redraw, relay out, resize, quit, ...). Nothing here draws or calls curses. */
#include "keys.h"

#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTRL_KEY(c) ((c)&0x1f)
#define KEY_ESC     27

/* The selected metric's name follows the metrics list's selection. */
static void
metric_from_list(tw_view *v)
{
    if (v->metrics_list.sel < v->metrics.n)
        snprintf(v->metric, sizeof v->metric, "%s", v->metrics.v[v->metrics_list.sel].s);
}

/* The runs cursor's id follows the runs list's selection. */
static void
cursor_from_list(tw_view *v)
{
    if (v->runs_list.sel < v->runs_list.n)
        snprintf(v->cursor_run, sizeof v->cursor_run, "%s", v->rows[v->runs_list.sel].id);
}

void
tw_view_lists_follow(tw_view *v)
{
    metric_from_list(v);
    cursor_from_list(v);
}

/* Moves the metric selection by delta (clamped) over the names the last draw showed. */
static void
move_metric(tw_view *v, long delta)
{
    tw_list_move(&v->metrics_list, delta);
    metric_from_list(v);
}

/* A movement key for whichever list has the focus (the metrics when the chart has it). */
static void
move_focused(tw_view *v, tw_action a)
{
    if (v->focus == TW_FOCUS_RUNS) {
        tw_list_key(&v->runs_list, a);
        cursor_from_list(v);
    } else {
        tw_list_key(&v->metrics_list, a);
        metric_from_list(v);
    }
}

/* Hides the cursor's run from the chart, or shows it again. */
static void
toggle_run(tw_view *v)
{
    long i;

    if (v->runs_list.n == 0 || !v->cursor_run[0])
        return;
    i = tw_view_names_find(&v->hidden, v->cursor_run);
    if (i >= 0)
        tw_view_names_remove(&v->hidden, (size_t)i);
    else if (tw_view_names_push(&v->hidden, v->cursor_run) == 0)
        qsort(v->hidden.v, v->hidden.n, sizeof v->hidden.v[0], tw_view_names_cmp);
}

/* Shows only the cursor's run; when that is already so, shows every run. */
static void
solo_run(tw_view *v)
{
    bool solo = !tw_view_run_hidden(v, v->cursor_run);

    if (v->runs_list.n == 0)
        return;
    for (size_t i = 0; i < v->runs_list.n && solo; i++)
        if (strcmp(v->rows[i].id, v->cursor_run) != 0 && !tw_view_run_hidden(v, v->rows[i].id))
            solo = false;
    v->hidden.n = 0;
    if (solo)
        return;
    for (size_t i = 0; i < v->runs_list.n; i++)
        if (strcmp(v->rows[i].id, v->cursor_run) != 0)
            tw_view_names_push(&v->hidden, v->rows[i].id);
    qsort(v->hidden.v, v->hidden.n, sizeof v->hidden.v[0], tw_view_names_cmp);
}

/* Moves the focus (dir 1 forwards, -1 backwards): metrics and runs when wide; chart,
 * metrics and runs when narrow, where the focused list replaces the chart. */
static void
cycle_focus(tw_view *v, int dir)
{
    if (v->g.wide) {
        v->focus = v->focus == TW_FOCUS_RUNS ? TW_FOCUS_METRICS : TW_FOCUS_RUNS;
    } else {
        int f = ((int)v->focus + dir + 3) % 3;
        v->focus = (tw_view_focus)f;
    }
}

/* Zooms in (dir > 0: half as many of the last epochs) or out (twice as many, then all). */
static void
zoom(tw_view *v, int dir)
{
    uint64_t base = v->zoom ? v->zoom : v->max_epoch;

    if (dir > 0) {
        if (base <= 1)
            return;
        v->zoom = base / 2 ? base / 2 : 1;
    } else if (v->zoom) {
        v->zoom *= 2;
        if (v->zoom >= v->max_epoch)
            v->zoom = 0;
    }
}

/* The chart cursor: on and off (it comes on at the newest epoch), or a move by an epoch (a
 * step column in the per-step chart), which the next frame keeps within the data. */
static void
cursor_key(tw_view *v, tw_action a)
{
    uint64_t *at = v->step_mode ? &v->cursor.step : &v->cursor.epoch;
    uint64_t d = v->step_mode && v->cursor.stride ? v->cursor.stride : 1;

    if (a == TW_ACT_CURSOR || !v->cursor.on) { /* a move shows it first, at the newest */
        v->cursor.on = a != TW_ACT_CURSOR || !v->cursor.on;
        v->cursor.follow = true;
        v->cursor.back = 0;
        return;
    }
    if (v->cursor.follow) { /* at the newest, which the next frame knows: a move from there */
        if (a == TW_ACT_CURSOR_PREV && v->cursor.back < UINT64_MAX - d)
            v->cursor.back += d;
    } else if (a == TW_ACT_CURSOR_PREV) {
        *at = *at > d ? *at - d : 0;
    } else {
        *at = *at > UINT64_MAX - d ? UINT64_MAX : *at + d;
    }
}

/* A key of the metrics grid, before the keymap: Enter opens the selected metric full size,
 * Escape closes the grid, Up and Down move a row of cards, PgUp and PgDn a page. Returns the flags,
 * or -1 when the keymap is to take the key. */
static int
grid_key(tw_view *v, int key, tw_action a)
{
    long row = (long)(v->grid_cols ? v->grid_cols : 1);

    if (key == '\n' || key == '\r' || key == KEY_ENTER || key == KEY_ESC) {
        v->grid = false;
        return TW_VIEW_HANDLED | TW_VIEW_REDRAW | TW_KEY_RELAYOUT;
    }
    if (a == TW_ACT_PAGE_UP || a == TW_ACT_PAGE_DOWN) /* a page of cards */
        row = (long)(v->grid_per_page ? v->grid_per_page : 1);
    else if (a != TW_ACT_UP && a != TW_ACT_DOWN)
        return -1;
    move_metric(v, a == TW_ACT_UP || a == TW_ACT_PAGE_UP ? -row : row);
    return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
}

/* Removes the UTF-8 character before the end of the prompt. */
static void
prompt_backspace(tw_view *v)
{
    while (v->prompt_len > 0) {
        unsigned char c = (unsigned char)v->prompt[--v->prompt_len];
        if ((c & 0xc0) != 0x80)
            break;
    }
    v->prompt[v->prompt_len] = '\0';
}

/* An action on what the chart shows: x-axis, per-step mode, smoothing, envelope, log-y, zoom,
 * the sweep view in its place. */
static void
chart_action(tw_view *v, tw_action a)
{
    if (a == TW_ACT_XAXIS || a == TW_ACT_MODE || a == TW_ACT_ZOOM_IN || a == TW_ACT_ZOOM_OUT ||
        a == TW_ACT_ZOOM_RESET)
        v->xwin.on = false; /* a new x axis, mode or zoom ends the wheel's zoom */
    switch (a) {
    case TW_ACT_XAXIS:
        v->xaxis = (tw_view_xaxis)((v->xaxis + 1) % 3);
        break;
    case TW_ACT_MODE:
        v->step_mode = !v->step_mode;
        v->cursor.follow = true; /* epochs and steps differ: the cursor starts at the newest */
        v->cursor.back = 0;
        break;
    case TW_ACT_SMOOTH:
        v->smooth = (v->smooth + 1) % TW_STORE_N_SMOOTH;
        break;
    case TW_ACT_SMOOTH_0:
    case TW_ACT_SMOOTH_1:
    case TW_ACT_SMOOTH_2:
    case TW_ACT_SMOOTH_3:
        v->smooth = (int)(a - TW_ACT_SMOOTH_0);
        break;
    case TW_ACT_ENVELOPE:
        v->envelope = !v->envelope;
        break;
    case TW_ACT_ERRBARS:
        v->errbars = !v->errbars;
        break;
    case TW_ACT_LOGY:
        v->log_y = !v->log_y;
        break;
    case TW_ACT_ZOOM_IN:
        zoom(v, 1);
        break;
    case TW_ACT_ZOOM_OUT:
        zoom(v, -1);
        break;
    case TW_ACT_ZOOM_RESET:
        v->zoom = 0;
        break;
    case TW_ACT_SWEEP:
        v->sweep = !v->sweep;
        break;
    case TW_ACT_SWEEP_PARAM: /* the frame takes it modulo the study's hyperparameters */
        v->sweep_param = v->sweep ? v->sweep_param + 1 : v->sweep_param;
        v->sweep = true;
        break;
    case TW_ACT_CURSOR:
    case TW_ACT_CURSOR_PREV:
    case TW_ACT_CURSOR_NEXT:
        cursor_key(v, a);
        break;
    default:
        break;
    }
}

/* A navigation key: the focused list's cursor, the metric, or the focus; returns
 * TW_KEY_RELAYOUT when the focus moved, else 0. */
static int
navigate(tw_view *v, tw_action a)
{
    switch (a) {
    case TW_ACT_UP:
    case TW_ACT_DOWN:
    case TW_ACT_PAGE_UP:
    case TW_ACT_PAGE_DOWN:
    case TW_ACT_HOME:
    case TW_ACT_END:
        move_focused(v, a);
        return 0;
    case TW_ACT_METRIC_PREV:
        move_metric(v, -1);
        return 0;
    case TW_ACT_METRIC_NEXT:
        move_metric(v, 1);
        return 0;
    case TW_ACT_FOCUS_NEXT:
        cycle_focus(v, 1);
        return TW_KEY_RELAYOUT;
    case TW_ACT_FOCUS_PREV:
        cycle_focus(v, -1);
        return TW_KEY_RELAYOUT;
    default:
        return 0;
    }
}

/* Opens the filter prompt over the current filter, or the bad one given at start, to be
 * fixed (its error moves from the title to the prompt). */
static void
open_prompt(tw_view *v)
{
    v->prompting = true;
    snprintf(v->prompt_saved, sizeof v->prompt_saved, "%s", v->filter);
    snprintf(v->prompt, sizeof v->prompt, "%s", v->prompt_saved);
    v->prompt_len = strlen(v->prompt);
    snprintf(v->prompt_err, sizeof v->prompt_err, "%s", v->filter_err);
    v->filter_err[0] = '\0';
}

/* A key typed at the filter prompt. The filter follows the text while it compiles; Enter
 * keeps it (not while it is invalid), Escape restores the one from before the prompt. */
static int
prompt_key(tw_view *v, int key)
{
    char err[sizeof v->prompt_err];

    if (key == KEY_ESC) {
        if (tw_view_set_filter(v, v->prompt_saved, v->filter_err, sizeof v->filter_err) < 0) {
            /* It was a bad initial filter: back to none, its error still in the title. */
            tw_view_set_filter(v, "", NULL, 0);
            snprintf(v->filter, sizeof v->filter, "%s", v->prompt_saved);
        }
        v->prompting = false;
        return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
    }
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        if (tw_view_set_filter(v, v->prompt, v->prompt_err, sizeof v->prompt_err) == 0) {
            v->prompting = false;
            v->filter_err[0] = '\0';
        }
        return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
    }
    if (key == KEY_BACKSPACE || key == 127 || key == CTRL_KEY('h'))
        prompt_backspace(v);
    else if (key == CTRL_KEY('u'))
        v->prompt_len = 0;
    else if (key >= 32 && key < 256 && key != 127 && v->prompt_len + 1 < sizeof v->prompt)
        v->prompt[v->prompt_len++] = (char)key;
    else
        return TW_VIEW_HANDLED;
    v->prompt[v->prompt_len] = '\0';
    /* Live preview: apply when it compiles (an incomplete UTF-8 tail may not, yet). */
    if (tw_view_set_filter(v, v->prompt, err, sizeof err) == 0)
        v->prompt_err[0] = '\0';
    else
        snprintf(v->prompt_err, sizeof v->prompt_err, "%s", err);
    return TW_VIEW_HANDLED | TW_VIEW_REDRAW;
}

/* The actions handled by group: the chart's, the lists' and the focus's, the SVG file and
 * the grid. Returns the flags, or -1 for another action. */
static int
grouped_action(tw_view *v, tw_action act)
{
    int flags = TW_VIEW_HANDLED | TW_VIEW_REDRAW;

    if (act >= TW_ACT_XAXIS && act <= TW_ACT_SWEEP_PARAM) { /* contiguous in tw_action */
        chart_action(v, act);
    } else if (act >= TW_ACT_UP && act <= TW_ACT_FOCUS_PREV) { /* contiguous in tw_action */
        flags |= navigate(v, act);
    } else if (act == TW_ACT_SVG) {
        v->svg_pending = true;
    } else if (act == TW_ACT_GRID) {
        v->grid = !v->grid;
        flags |= TW_KEY_RELAYOUT;
    } else {
        return -1;
    }
    return flags;
}

int
tw_view_keys_apply(tw_view *v, int key)
{
    int flags = TW_VIEW_HANDLED | TW_VIEW_REDRAW;
    tw_action act;

    if (!v)
        return 0;
    if (key == KEY_RESIZE)
        return flags | TW_KEY_RESIZE;
    v->message[0] = '\0'; /* a key's answer lasts until the next key */
    if (v->prompting) {
        flags = prompt_key(v, key);
        v->full = true;
        return flags;
    }
    if (v->help) {
        /* Any key closes the help screen, and does nothing else. */
        v->help = false;
        v->full = true;
        return flags;
    }

    act = tw_input_action(key);
    if (!v->grid && v->cursor.on && key == KEY_ESC) { /* Escape puts the cursor away */
        v->cursor.on = false;
        v->full = true;
        return flags;
    }
    if ((v->grid && (flags = grid_key(v, key, act)) >= 0) ||
        (flags = grouped_action(v, act)) >= 0) {
        v->full = true;
        return flags;
    }
    flags = TW_VIEW_HANDLED | TW_VIEW_REDRAW;
    switch (act) {
    case TW_ACT_QUIT:
        return TW_VIEW_HANDLED | TW_VIEW_QUIT;
    case TW_ACT_HELP:
        v->help = true;
        break;
    case TW_ACT_TOGGLE_RUN:
        toggle_run(v);
        break;
    case TW_ACT_SOLO_RUN:
        solo_run(v);
        break;
    case TW_ACT_PAUSE:
        v->paused = !v->paused;
        flags |= TW_VIEW_PAUSE;
        break;
    case TW_ACT_FILTER:
        open_prompt(v);
        break;
    case TW_ACT_SORT:
        v->sort = (tw_view_sort)((v->sort + 1) % 3);
        break;
    case TW_ACT_ALERTS:
        v->alerts_panel = !v->alerts_panel;
        flags |= TW_KEY_RELAYOUT;
        break;
    case TW_ACT_ACK:
        flags |= TW_VIEW_ACK;
        break;
    case TW_ACT_ASCII:
        v->braille = v->utf8 && !v->braille;
        break;
    case TW_ACT_REDRAW:
        v->clear = true;
        break;
    case TW_ACT_RESIZE:
        flags |= TW_KEY_RESIZE;
        break;
    default: /* TW_ACT_NONE, TW_ACT_COUNT */
        return 0;
    }
    v->full = true;
    return flags;
}
