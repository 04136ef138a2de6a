/* list.c - the list widget: selection, scrolling and movement keys over n entries. */
#include "list.h"

/* Keeps the selection inside the window [top, top + page); a list not shown keeps its
 * offset until it is. */
static void
scroll(tw_list *l)
{
    size_t page = (size_t)l->page;

    if (l->page <= 0)
        return;
    if (l->sel < l->top)
        l->top = l->sel;
    if (l->sel >= l->top + page)
        l->top = l->sel - page + 1;
}

void
tw_list_init(tw_list *l)
{
    tw_rect none = {0, 0, 0, 0};

    l->n = l->sel = l->top = 0;
    l->page = 0;
    l->r = none;
    l->dirty = true;
}

void
tw_list_set_count(tw_list *l, size_t n)
{
    if (n != l->n)
        l->dirty = true;
    l->n = n;
    if (n == 0)
        l->sel = 0;
    else if (l->sel >= n)
        l->sel = n - 1;
    scroll(l);
}

void
tw_list_set_geometry(tw_list *l, tw_rect r, int page)
{
    l->r = r;
    l->page = page;
    l->dirty = true;
    scroll(l);
}

bool
tw_list_select(tw_list *l, size_t i)
{
    size_t old = l->sel;

    if (l->n == 0)
        return false;
    l->sel = i < l->n ? i : l->n - 1;
    scroll(l);
    if (l->sel != old)
        l->dirty = true;
    return l->sel != old;
}

bool
tw_list_move(tw_list *l, long delta)
{
    long i;

    if (l->n == 0)
        return false;
    i = (long)l->sel + delta;
    if (i < 0)
        i = 0;
    return tw_list_select(l, (size_t)i);
}

int
tw_list_key(tw_list *l, tw_action a)
{
    /* A page key moves a page less one (at least one entry), so one stays in view. */
    long page = l->page > 1 ? l->page - 1 : 1;
    long delta;

    switch (a) {
    case TW_ACT_UP:
        delta = -1;
        break;
    case TW_ACT_DOWN:
        delta = 1;
        break;
    case TW_ACT_PAGE_UP:
        delta = -page;
        break;
    case TW_ACT_PAGE_DOWN:
        delta = page;
        break;
    case TW_ACT_HOME:
        delta = -(1L << 30);
        break;
    case TW_ACT_END:
        delta = 1L << 30;
        break;
    default:
        return 0;
    }
    return TW_LIST_HANDLED | (tw_list_move(l, delta) ? TW_LIST_MOVED : 0);
}

size_t
tw_list_end(const tw_list *l)
{
    size_t end = l->top + (size_t)(l->page > 0 ? l->page : 0);
    return end < l->n ? end : l->n;
}
