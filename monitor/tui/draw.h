/* draw.h - the view's drawing primitives (draw.c): text into cells, attributes, formats.
 *
 * Each writes to stdscr only; none changes the view. Text goes through the one sanitiser
 * (monitor/model/text.h): controls, bidi controls and bytes not of the locale are drawn as
 * '?', widths are display columns. */
#ifndef TW_DRAW_H
#define TW_DRAW_H

#include "view_state.h"

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

/* Writes s at (y, x), at most w columns, with attr and pair; returns the columns written. */
int tw_view_put(int y, int x, int w, attr_t attr, short pair, const char *s);

/* Puts one character at (y, x) with attr and pair. Returns OK or ERR. */
int tw_view_put_wc(int y, int x, attr_t attr, short pair, wchar_t wc);

/* Writes s right-aligned in the w columns that end at x + w. */
void tw_view_put_right(int y, int x, int w, attr_t attr, short pair, const char *s);

/* Fills w cells of row y from x with blanks in attr and pair. */
void tw_view_fill(int y, int x, int w, attr_t attr, short pair);

/* The header of a list pane: its title (and extra, dim), reversed when it has the focus. */
void tw_view_pane_title(tw_rect r, bool focused, const char *title, const char *extra);

/* printf into buf; never overflows, always terminated. */
void tw_view_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A value in at most 9 columns ("0.3412", "1.2e+04", "nan", "-" for none). */
void tw_view_fmt_value(char *buf, size_t size, bool has, double value);

/* A duration in seconds as "0.2s", "9.5s", "45s", "3m05s", "2h04m", "3d02h" (tenths below ten
 * seconds; "?" when unknown or negative). */
void tw_view_fmt_duration(char *buf, size_t size, double seconds);

/* Display columns of s as tw_view_put draws it (text.h: wide characters take 2). */
int tw_view_text_cols(const char *s);

/* s cleaned (text.h) and shortened to w columns by cutting out its middle
 * ("resnet1...lr0.01": run names differ at either end), into out; by display columns, never
 * inside a character. */
void tw_view_ellipsize(const tw_view *v, char *out, size_t size, const char *s, int w);

/* The glyph for UTF-8 terminals or its ASCII stand-in. */
const char *tw_view_glyph(const tw_view *v, const char *utf8, const char *ascii);

/* The curses attributes and pair for a chart color index (TW_VIEW_COLOR_MAIN bit included)
 * and TW_CHART_CELL_* flags. The pair is the run's color; without colors, runs are told apart
 * by underline and italic, cycling, while bold (main line) and dim (validation, envelopes) say
 * what a line is in both cases. Envelope cells (TW_CHART_CELL_BAND) take a darker shade of the
 * run's color where the terminal has 256 colours, else dim. */
void tw_view_cell_attr(const tw_view *v, int color, unsigned flags, attr_t *attr, short *pair);

/* The attributes and pair of a run's main chart line: what its legend and list swatches are
 * drawn with, so that a swatch and the curve it names always look the same. */
attr_t tw_view_run_line_attr(const tw_view *v, int color, short *pair);

/* The attributes (and *pair) of a run's color, with the monochrome fallback. */
attr_t tw_view_run_attr(const tw_view *v, int color, short *pair);

/* The color pair of a run state: live green, stalled and disconnected yellow, vanished and
 * failed red (0 without colors). */
short tw_view_state_pair(const tw_view *v, tw_store_state st);

#endif
