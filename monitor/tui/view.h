/* view.h - the ncurses view of the monitor: layout, drawing from the store, keys to actions.
 *
 * Design note. The view reads the store and never changes it. main.c owns the loop: it calls
 * tw_view_key for every key read from the terminal (the view maps keys to its own state:
 * selected metric, x-axis, smoothing, zoom, filter, ... and returns flags saying what the
 * loop must do), marks the view dirty when the store changed, and calls tw_view_draw at most
 * 5 times a second for data (10 after a key), only when something is dirty. Drawing writes
 * only the cells that changed (ncurses' wnoutrefresh/doupdate; lines the frame left as they
 * were are not even handed to ncurses). The terminal is set up by tw_view_new and
 * restored by tw_view_destroy, which main.c also calls on every exit path (signals become
 * loop events; a fatal error restores the terminal before printing). */
#ifndef TW_VIEW_H
#define TW_VIEW_H

#include "alerts.h"
#include "delay.h"
#include "store.h"

#include <stdbool.h>

typedef struct tw_view tw_view;

typedef struct tw_view_options {
    bool ascii;         /* force ASCII charts (default: braille when the locale is UTF-8) */
    bool no_color;      /* force monochrome (also when the terminal has no colors) */
    bool no_mouse;      /* leave the mouse to the terminal (default: clicks and the wheel are
                           the view's where the terminal reports them) */
    const char *filter; /* initial regex over run names, or NULL */
    const char *metric; /* initially selected metric name, or NULL */
} tw_view_options;

/* What the loop must do after a key. */
enum {
    TW_VIEW_HANDLED = 1 << 0, /* the key meant something */
    TW_VIEW_REDRAW = 1 << 1,  /* the view changed: redraw */
    TW_VIEW_QUIT = 1 << 2,    /* leave */
    TW_VIEW_PAUSE = 1 << 3,   /* the display was paused or resumed (tw_view_paused tells) */
    TW_VIEW_ACK = 1 << 4,     /* the person acknowledged the alerts: the loop calls
                                 tw_alerts_ack (the view never changes the model) */
};

/* Initialises the terminal (initscr, cbreak, noecho, keypad, nodelay, colors when present)
 * and the view. Returns NULL with errno set when the terminal cannot be used. */
tw_view *tw_view_new(const tw_view_options *o);

/* Restores the terminal and frees the view. NULL-safe; sets *v to NULL. */
void tw_view_destroy(tw_view **v);

/* The file descriptor to poll for keys (stdin). */
int tw_view_input_fd(const tw_view *v);

/* Reads every pending key and applies it; returns the OR of the TW_VIEW_* flags. */
int tw_view_read_keys(tw_view *v);

/* Applies one key (an ncurses key code); returns TW_VIEW_* flags. For tests and scripts. */
int tw_view_key(tw_view *v, int key);

/* The terminal was resized (SIGWINCH, or KEY_RESIZE): recompute the layout. */
void tw_view_resize(tw_view *v);

/* Draws the whole screen from the store (ages, states and ETAs come from the store, not the
 * clock). When the display is paused, draws the frozen picture's status line only. */
void tw_view_draw(tw_view *v, const tw_store *s);

/* The alerts the view shows (the alerts line, the panel of key a, '!' markers on the chart,
 * GL and P_k of the selected metric); borrowed, NULL for none. */
void tw_view_set_alerts(tw_view *v, const tw_alerts *a);

/* The delivery delay the help screen shows (its p50 and p99); borrowed, NULL for none. */
void tw_view_set_delay(tw_view *v, const tw_delay *d);

/* A short message shown on the alerts line until the next one (a failing --on-alert command,
 * for example); copied. */
void tw_view_set_notice(tw_view *v, const char *msg);

/* A connection problem to show in the title bar and, while no run is there, in place of the
 * run header (NULL or "": none). The message is copied. */
void tw_view_set_link_problem(tw_view *v, const char *msg);

/* Whether the display is paused (key p). */
bool tw_view_paused(const tw_view *v);

#endif
