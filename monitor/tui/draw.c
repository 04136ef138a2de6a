/* draw.c - the view's drawing primitives: text into cells, attributes of runs and states,
 * number and duration formats, list headers. They write to stdscr and read the view's flags
 * (colors, UTF-8) through a const pointer. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "draw.h"
#include "text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

void
tw_view_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    if (!size)
        return;
    va_start(ap, fmt);
    if (vsnprintf(buf, size, fmt, ap) < 0)
        buf[0] = '\0';
    va_end(ap);
}

void
tw_view_fmt_value(char *buf, size_t size, bool has, double value)
{
    if (!has) {
        tw_view_fmt(buf, size, "-");
        return;
    }
    if (isnan(value)) {
        tw_view_fmt(buf, size, "nan");
        return;
    }
    if (isinf(value)) {
        tw_view_fmt(buf, size, value > 0 ? "inf" : "-inf");
        return;
    }
    tw_view_fmt(buf, size, "%.4g", value);
    if (strlen(buf) > 8)
        tw_view_fmt(buf, size, "%.3g", value);
    if (strlen(buf) > 8)
        tw_view_fmt(buf, size, "%.1e", value);
}

void
tw_view_fmt_duration(char *buf, size_t size, double sec)
{
    long s;

    if (!isfinite(sec) || sec < 0 || sec > 1e9) {
        tw_view_fmt(buf, size, "?");
        return;
    }
    /* Tenths below ten seconds, so that a short wait does not read "0s". */
    if (round(sec * 10) < 100) {
        tw_view_fmt(buf, size, "%.1fs", round(sec * 10) / 10);
        return;
    }
    s = lround(sec);
    if (s < 60)
        tw_view_fmt(buf, size, "%lds", s);
    else if (s < 3600)
        tw_view_fmt(buf, size, "%ldm%02lds", s / 60, s % 60);
    else if (s < 86400)
        tw_view_fmt(buf, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
    else
        tw_view_fmt(buf, size, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
}

int
tw_view_put_wc(int y, int x, attr_t attr, short pair, wchar_t wc)
{
    wchar_t str[2] = {wc, L'\0'};
    cchar_t cc;

    if (setcchar(&cc, str, attr, pair, NULL) != OK)
        return ERR;
    return mvwadd_wch(stdscr, y, x, &cc);
}

/* Cells of one width waiting to go to stdscr as one string (tw_view_put). */
typedef struct cell_run {
    cchar_t c[64];
    int n, y, x; /* cells, and where the first goes */
} cell_run;

/* Writes the waiting cells at once (mvwadd_wchnstr copies them as they are: several times
 * cheaper than a character at a time) and empties the run. */
static void
run_flush(cell_run *r)
{
    if (r->n > 0)
        mvwadd_wchnstr(stdscr, r->y, r->x, r->c, r->n);
    r->n = 0;
}

int
tw_view_put(int y, int x, int w, attr_t attr, short pair, const char *s)
{
    mbstate_t st;
    size_t len;
    int col = 0;
    cell_run run = {.n = 0, .y = y};

    if (w <= 0 || y < 0 || x < 0 || !s)
        return 0;
    memset(&st, 0, sizeof st);
    len = strlen(s);
    while (len > 0 && col < w) {
        wchar_t wc;
        int cw;
        /* Characters go to ncurses as wide characters, decoded and judged once by the
         * sanitiser (text.h: controls, bidi controls, bytes not of the locale become '?'). */
        size_t k = tw_text_next(s, len, &st, &wc, &cw);
        if (col + cw > w)
            break;
        if (cw == 1) { /* one cell: into the run */
            wchar_t str[2] = {wc, L'\0'};
            if (run.n == (int)(sizeof run.c / sizeof run.c[0]))
                run_flush(&run);
            if (run.n == 0)
                run.x = x + col;
            if (setcchar(&run.c[run.n], str, attr, pair, NULL) == OK)
                run.n++;
            else
                run_flush(&run); /* the next cell starts a run at its own column */
        } else if (cw > 1) {     /* a wide character: ncurses places its two cells */
            run_flush(&run);
            tw_view_put_wc(y, x + col, attr, pair, wc);
        }
        col += cw;
        s += k;
        len -= k;
    }
    run_flush(&run);
    return col;
}

/* Writes s right-aligned in the w columns that end at x + w. */
void
tw_view_put_right(int y, int x, int w, attr_t attr, short pair, const char *s)
{
    int n = tw_view_text_cols(s); /* columns, not bytes: "±" and "…" take one */
    if (n > w)
        n = w;
    tw_view_put(y, x + w - n, n, attr, pair, s);
}

/* Display columns of s as tw_view_put draws it. */
int
tw_view_text_cols(const char *s)
{
    return tw_text_cols(s);
}

/* s shortened to w columns by cutting out its middle ("resnet1...lr0.01": run names differ
 * at either end), by display columns and between characters. */
void
tw_view_ellipsize(const tw_view *v, char *out, size_t size, const char *s, int w)
{
    tw_text_ellipsize(out, size, s, w, v->utf8 ? "\xe2\x80\xa6" : "~");
}

/* Fills w cells of row y from x with blanks in attr. */
void
tw_view_fill(int y, int x, int w, attr_t attr, short pair)
{
    cchar_t blank;

    if (w <= 0 || setcchar(&blank, L" ", attr, pair, NULL) != OK)
        return;
    mvwhline_set(stdscr, y, x, &blank, w); /* one call, not one a cell */
}

/* The glyph for UTF-8 terminals or its ASCII stand-in. */
const char *
tw_view_glyph(const tw_view *v, const char *utf8, const char *ascii)
{
    return v->utf8 ? utf8 : ascii;
}

void
tw_view_cell_attr(const tw_view *v, int color, unsigned flags, attr_t *attr, short *pair)
{
    /* Monochrome: runs told apart by underline and italic, cycling; bold and dim stay free to
     * tell the main line from validation. */
#ifdef A_ITALIC
    static const attr_t mono[4] = {A_NORMAL, A_UNDERLINE, A_ITALIC, A_UNDERLINE | A_ITALIC};
#else
    static const attr_t mono[4] = {A_NORMAL, A_UNDERLINE, A_NORMAL, A_UNDERLINE};
#endif
    bool main_line = ((unsigned)color & TW_VIEW_COLOR_MAIN) != 0;

    color = (int)((unsigned)color & ~TW_VIEW_COLOR_MAIN);
    *attr = A_NORMAL;
    *pair = 0;
    if (color > 0) {
        if (v->color)
            *pair = (short)((color - 1) % TW_VIEW_RUN_COLORS + 1);
        else
            *attr = mono[(color - 1) % 4];
    }
    if ((flags & TW_CHART_CELL_BAND) && v->shades && color > 0) {
        /* An envelope in a darker shade of the run's color: faint whether or not the
         * terminal renders dim, and never bold (the smoothed line over it is). */
        *pair = (short)(TW_PAIR_SHADE + (color - 1) % TW_VIEW_RUN_COLORS);
        return;
    }
    if (flags & TW_CHART_CELL_DIM)
        *attr |= A_DIM;
    else if (main_line || (flags & TW_CHART_CELL_BOLD))
        *attr |= A_BOLD;
}

attr_t
tw_view_run_line_attr(const tw_view *v, int color, short *pair)
{
    attr_t a;

    tw_view_cell_attr(v, (int)((unsigned)color | TW_VIEW_COLOR_MAIN), 0, &a, pair);
    return a;
}

/* The attributes (and *pair) of a run's color, with the monochrome fallback. */
attr_t
tw_view_run_attr(const tw_view *v, int color, short *pair)
{
    attr_t a;
    tw_view_cell_attr(v, color, 0, &a, pair);
    return a;
}

/* The color pair of a run state: live green, stalled and disconnected yellow, vanished and
 * failed red. */
short
tw_view_state_pair(const tw_view *v, tw_store_state st)
{
    if (!v->color)
        return 0;
    switch (st) {
    case TW_STATE_LIVE:
        return TW_PAIR_GOOD;
    case TW_STATE_STALLED:
    case TW_STATE_DISCONNECTED:
        return 2; /* the yellow run pair */
    case TW_STATE_VANISHED:
    case TW_STATE_FAILED:
        return TW_PAIR_ERROR;
    case TW_STATE_ENDED:
        break;
    }
    return 0;
}

/* The header of a list pane: its title, reversed when it has the focus. */
void
tw_view_pane_title(tw_rect r, bool focused, const char *title, const char *extra)
{
    attr_t a = focused ? A_REVERSE | A_BOLD : A_BOLD;
    int x;

    tw_view_fill(r.y, r.x, r.w, focused ? A_REVERSE : A_NORMAL, 0);
    x = tw_view_put(r.y, r.x, r.w, a, 0, title);
    if (extra && x + 2 < r.w)
        tw_view_put(r.y, r.x + x + 1, r.w - x - 1, focused ? A_REVERSE : A_DIM, 0, extra);
}
