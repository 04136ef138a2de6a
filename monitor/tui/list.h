/* list.h - one list widget of the view: entry count, selection, scroll offset, geometry, dirty.
 *
 * Design note. After htop's Panel: the widget owns where it is and what it shows, not what
 * its entries are (the view keeps the metric names and the run rows; the widget indexes
 * them). Keys move the selection and return flags; nothing here draws or touches the
 * terminal. The scroll offset follows the selection whenever either the selection, the count
 * or the page changes, so that drawing only reads it. */
#ifndef TW_LIST_H
#define TW_LIST_H

#include "input.h"
#include "rect.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct tw_list {
    size_t n;   /* entries */
    size_t sel; /* the selected entry; 0 when there is none */
    size_t top; /* the first entry shown */
    int page;   /* entries that fit in the list's body; 0 when it is not shown */
    tw_rect r;  /* the list's pane, title and header included (h == 0: not shown) */
    bool dirty; /* changed since the last draw (the view clears it) */
} tw_list;

/* What tw_list_key did. */
enum {
    TW_LIST_HANDLED = 1 << 0, /* the action is a list movement */
    TW_LIST_MOVED = 1 << 1,   /* the selection changed */
};

/* An empty list, not shown. */
void tw_list_init(tw_list *l);

/* Sets the number of entries; the selection stays where it is, clamped to the last entry. */
void tw_list_set_count(tw_list *l, size_t n);

/* Where the list is and how many entries its body shows (0: not shown; the scroll offset
 * then stays as it is, and page keys move by one). */
void tw_list_set_geometry(tw_list *l, tw_rect r, int page);

/* Selects entry i, clamped to the entries. Returns true when the selection changed. */
bool tw_list_select(tw_list *l, size_t i);

/* Moves the selection by delta, clamped. Returns true when it changed. */
bool tw_list_move(tw_list *l, long delta);

/* Applies a movement action (TW_ACT_UP, _DOWN, _PAGE_UP, _PAGE_DOWN, _HOME, _END); returns
 * TW_LIST_* flags (0: not a movement). */
int tw_list_key(tw_list *l, tw_action a);

/* One past the last entry shown: min(top + page, n). */
size_t tw_list_end(const tw_list *l);

#endif
