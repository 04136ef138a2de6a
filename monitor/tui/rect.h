/* rect.h - a rectangle of the screen, the unit of the view's geometry. */
#ifndef TW_RECT_H
#define TW_RECT_H

/* A rectangle of the screen; h == 0 or w == 0: not shown. */
typedef struct tw_rect {
    int y, x, h, w;
} tw_rect;

/* Row i of r, as a one-row rectangle. */
static inline tw_rect
tw_rect_row(tw_rect r, int i)
{
    tw_rect o = {r.y + i, r.x, 1, r.w};
    return o;
}

#endif
