/* keys.h - keys to view-state changes (keys.c).
 *
 * A key changes the view's state and returns flags: the public TW_VIEW_* ones (view.h) and
 * these, which tell the caller (view.c) what to do with the terminal. A key never draws and
 * never calls curses. */
#ifndef TW_KEYS_H
#define TW_KEYS_H

#include "view_state.h"

/* Beyond view.h's TW_VIEW_* flags: what view.c does after the key (never passed to main). */
enum {
    TW_KEY_RELAYOUT = 1 << 8, /* the geometry depends on what changed: relay out */
    TW_KEY_RESIZE = 1 << 9,   /* the terminal changed size: ask it, then relay out */
};

/* Applies one key (an ncurses key code) to the view's state; returns TW_VIEW_* and TW_KEY_*
 * flags (0: the key means nothing). */
int tw_view_keys_apply(tw_view *v, int key);

/* The selected metric and the runs cursor's run follow their lists' selections (after a
 * movement of the lists). */
void tw_view_lists_follow(tw_view *v);

#endif
