/* mouse.h - the mouse (mouse.c): xterm's mouse reports parsed, and mapped to the view's state.
 *
 * Design note. The view asks the terminal for xterm's SGR 1006 reports of presses, releases
 * and the wheel (\e[?1000h\e[?1006h; off again on every exit) unless --no-mouse, or the
 * terminal has no mouse (no kmous in its terminfo). Whether asked or not, the terminal's
 * introducers are bound to the key codes below, so that a report never reaches the keymap as
 * keys: view.c reads the rest of the sequence (at most TW_MOUSE_SGR_MAX bytes; anything
 * longer, malformed, or cut short is dropped), parses it here and applies it. With Shift, the
 * terminal keeps clicks to itself for text selection. */
#ifndef TW_MOUSE_H
#define TW_MOUSE_H

#include "view_state.h"

#include <stdbool.h>
#include <stddef.h>

/* Key codes the view binds the introducers to: "\e[<" (SGR) and "\e[M" (X10). */
#define TW_KEY_MOUSE_SGR (KEY_MAX + 2)
#define TW_KEY_MOUSE_X10 (KEY_MAX + 3)

/* Bytes of an SGR report after its introducer: "Pb;Px;PyM" with numbers of at most five
 * digits. */
#define TW_MOUSE_SGR_MAX 20

typedef struct tw_mouse_event {
    int button; /* 0 left, 1 middle, 2 right, 3 release (X10), 64 wheel up, 65 wheel down */
    int mods;   /* 4 Shift, 8 Meta, 16 Control, 32 motion */
    int x, y;   /* the cell, 0-based */
    bool press; /* a press (SGR 'M'); false: a release ('m') */
} tw_mouse_event;

/* Parses an SGR report's bytes after "\e[<" (n of them, the final 'M' or 'm' included).
 * Returns false for anything malformed (then *e is unspecified). */
bool tw_mouse_parse_sgr(const char *s, size_t n, tw_mouse_event *e);

/* Parses an X10 report's three bytes after "\e[M". Returns false when malformed. */
bool tw_mouse_parse_x10(const unsigned char b[3], tw_mouse_event *e);

/* Applies an event to the view's state; returns TW_VIEW_* and TW_KEY_* flags as a key does
 * (0: the event means nothing: a release, a motion, a click on nothing). */
int tw_view_mouse_apply(tw_view *v, const tw_mouse_event *e);

#endif
