/* mouse.c - the mouse as the terminal reports it: xterm's SGR 1006 sequences (and the older
 * X10 encoding) parsed with their limits, and each event mapped to a change of the view's
 * state: a click selects a run or a metric, places the chart cursor or picks a grid card; the
 * wheel zooms the chart's x range around the pointer (and scrolls a list); a middle or right
 * click resets the zoom. Like keys.c, nothing here draws or calls curses. */
#include "mouse.h"

#include "keys.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Button codes (xterm): the low bits and 64 for the wheel; 4, 8 and 16 are Shift, Meta and
 * Control, 32 a motion. */
enum {
    BTN_LEFT = 0,
    BTN_MIDDLE = 1,
    BTN_RIGHT = 2,
    BTN_RELEASE = 3,
    WHEEL_UP = 64,
    WHEEL_DOWN = 65
};
#define MODS_MOTION (4 | 8 | 16 | 32)

/* Reads a decimal of at most 5 digits from s[*i] (advancing *i). Returns -1 when none. */
static long
number(const char *s, size_t n, size_t *i)
{
    long v = 0;
    size_t start = *i;

    while (*i < n && s[*i] >= '0' && s[*i] <= '9' && *i - start < 5)
        v = v * 10 + (s[(*i)++] - '0');
    return *i > start ? v : -1;
}

bool
tw_mouse_parse_sgr(const char *s, size_t n, tw_mouse_event *e)
{
    long f[3];
    size_t i = 0;

    if (n < 6 || n > TW_MOUSE_SGR_MAX || (s[n - 1] != 'M' && s[n - 1] != 'm'))
        return false;
    for (int k = 0; k < 3; k++) {
        if ((f[k] = number(s, n - 1, &i)) < 0)
            return false;
        if (k < 2 && (i >= n - 1 || s[i++] != ';'))
            return false;
    }
    if (i != n - 1 || f[1] < 1 || f[2] < 1 || f[0] > 255)
        return false;
    e->button = (int)(f[0] & ~MODS_MOTION);
    e->mods = (int)(f[0] & MODS_MOTION);
    e->x = (int)f[1] - 1;
    e->y = (int)f[2] - 1;
    e->press = s[n - 1] == 'M';
    return true;
}

bool
tw_mouse_parse_x10(const unsigned char b[3], tw_mouse_event *e)
{
    if (b[0] < 32 || b[1] < 33 || b[2] < 33)
        return false;
    e->button = (b[0] - 32) & ~MODS_MOTION;
    e->mods = (b[0] - 32) & MODS_MOTION;
    e->x = b[1] - 33;
    e->y = b[2] - 33;
    e->press = e->button != BTN_RELEASE;
    return true;
}

/* Whether (y, x) is in r. */
static bool
inside(tw_rect r, int y, int x)
{
    return r.h > 0 && r.w > 0 && y >= r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

/* The entry of list l shown at screen row y (its body under the title and header), or -1. */
static long
list_entry(const tw_list *l, int y)
{
    int body = l->r.y + 1 + (l->r.h >= 4 ? 1 : 0);
    size_t i;

    if (l->page <= 0 || y < body || y >= body + l->page)
        return -1;
    i = l->top + (size_t)(y - body);
    return i < tw_list_end(l) ? (long)i : -1;
}

/* A click or the wheel on a list: the entry clicked, or one up or down. Returns true when the
 * event was on the list. */
static bool
on_list(tw_list *l, const tw_mouse_event *e)
{
    long i;

    if (!inside(l->r, e->y, e->x))
        return false;
    if (e->button == WHEEL_UP || e->button == WHEEL_DOWN)
        tw_list_move(l, e->button == WHEEL_UP ? -1 : 1);
    else if (e->button == BTN_LEFT && (i = list_entry(l, e->y)) >= 0)
        tw_list_select(l, (size_t)i);
    return true;
}

/* The wheel over the chart: the x range halves (up) or doubles (down) around the pointer's x;
 * out past the range shown before the first zoom, the zoom ends. */
static void
wheel_zoom(tw_view *v, const tw_chart_layout *l, int x, bool in)
{
    double px = tw_view_chart_col_x(v, l, x), lo, hi, f = in ? 0.5 : 2;

    if (!v->xwin.on) {
        v->xwin.full_lo = l->x_lo;
        v->xwin.full_hi = l->x_hi;
    }
    lo = v->xwin.on ? v->xwin.lo : l->x_lo;
    hi = v->xwin.on ? v->xwin.hi : l->x_hi;
    if (!isfinite(px) || !(hi > lo))
        return;
    lo = px - (px - lo) * f;
    hi = px + (hi - px) * f;
    if (!in && lo <= v->xwin.full_lo && hi >= v->xwin.full_hi) {
        v->xwin.on = false;
        return;
    }
    if (in && (hi - lo) * 4096 < v->xwin.full_hi - v->xwin.full_lo)
        return; /* deep enough */
    v->xwin.on = true;
    v->xwin.lo = fmax(lo, v->xwin.full_lo);
    v->xwin.hi = fmin(hi, v->xwin.full_hi);
    if (!(v->xwin.hi > v->xwin.lo))
        v->xwin.on = false;
}

/* A press over the chart: the cursor to the column clicked, or the wheel's zoom. */
static void
on_chart(tw_view *v, const tw_mouse_event *e)
{
    tw_chart_layout l;
    int x0;

    if (v->chart_status != TW_VIEW_CHART_GRID || tw_chart_get_layout(v->chart, &l) < 0)
        return;
    x0 = v->g.chart.x + l.plot_col;
    if (e->x < x0 || e->x >= x0 + l.plot_width)
        return;
    if (e->button == WHEEL_UP || e->button == WHEEL_DOWN) {
        wheel_zoom(v, &l, e->x, e->button == WHEEL_UP);
    } else if (e->button == BTN_LEFT) {
        v->cursor.on = true;
        v->cursor.follow = false;
        v->cursor.click_col = e->x;
    }
}

/* A click on a card of the grid selects its metric; on the selected one, opens it. Returns the
 * flags. */
static int
on_grid(tw_view *v, const tw_mouse_event *e)
{
    for (size_t i = 0; i < v->n_cards && e->button == BTN_LEFT; i++) {
        if (!inside(v->cards[i].r, e->y, e->x))
            continue;
        if (v->cards[i].metric == v->metrics_list.sel) {
            v->grid = false;
            return TW_KEY_RELAYOUT;
        }
        tw_list_select(&v->metrics_list, v->cards[i].metric);
    }
    if (e->button == WHEEL_UP || e->button == WHEEL_DOWN)
        tw_list_move(&v->metrics_list, e->button == WHEEL_UP ? -1 : 1);
    return 0;
}

int
tw_view_mouse_apply(tw_view *v, const tw_mouse_event *e)
{
    int flags = TW_VIEW_HANDLED | TW_VIEW_REDRAW;

    if (!v || !e->press || (e->mods & 32) || v->prompting || v->g.too_small)
        return 0; /* releases and motions; the prompt and a tiny terminal take no clicks */
    v->message[0] = '\0';
    if (v->help) {
        v->help = false; /* a click closes the help, as any key does */
    } else if (e->button == BTN_MIDDLE || e->button == BTN_RIGHT) {
        v->xwin.on = false;
        v->zoom = 0;
    } else if (v->grid) {
        flags |= on_grid(v, e);
    } else if (on_list(&v->runs_list, e)) {
        if (v->g.wide)
            v->focus = TW_FOCUS_RUNS;
    } else if (on_list(&v->metrics_list, e)) {
        if (v->g.wide)
            v->focus = TW_FOCUS_METRICS;
    } else if (inside(v->g.chart, e->y, e->x)) {
        on_chart(v, e);
    } else {
        return 0;
    }
    tw_view_lists_follow(v);
    v->full = true;
    return flags;
}
