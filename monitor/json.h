/* json.h - the monitor's one JSON writer: objects built into a growable buffer, one a line.
 *
 * Every JSON the monitor prints (decoded records, epoch values, alerts, links, the input of
 * --on-alert) is written with these calls, so that all of it follows one set of rules:
 *   - strings: '"' and '\\' are escaped with a backslash, newline and tab as \n and \t, the
 *     other control bytes (below 0x20, and 0x7f) as \u00XX; valid UTF-8 is copied as it is
 *     but for C1 controls (U+0080-U+009F), bidirectional controls and invisible format
 *     characters, escaped as \uXXXX; a byte that is not part of valid UTF-8 (names come from
 *     the wire as bytes) is written as \ufffd, so every line is valid UTF-8 and valid JSON;
 *   - numbers: doubles with %.17g (they read back exactly); JSON has no NaN, so a non-finite
 *     field is written as null with a sibling "KEY_nonfinite" of "nan", "inf" or "-inf"
 *     (an array element, which has no sibling, is only null);
 *   - commas between members and elements are placed by the writer.
 * Objects and arrays nest up to TW_JSON_MAX_DEPTH. A failed allocation marks the writer failed:
 * later calls do nothing and tw_json_line writes nothing. */
#ifndef TW_JSON_H
#define TW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TW_JSON_MAX_DEPTH 8 /* nested objects and arrays; deeper ones are refused (failed) */

typedef struct tw_json {
    char *buf;   /* NUL-terminated text so far (NULL until the first write) */
    size_t len;  /* bytes of text in buf */
    size_t cap;  /* bytes allocated */
    bool failed; /* out of memory or nested too deep: nothing more is written */
    unsigned depth;
    bool first[TW_JSON_MAX_DEPTH]; /* per open level: no member or element written yet */
} tw_json;

/* Initializes an empty writer (no allocation yet); tw_json_fini frees its buffer. */
void tw_json_init(tw_json *j);
void tw_json_fini(tw_json *j);

/* Empties the text (keeps the buffer) and clears the failed mark. */
void tw_json_reset(tw_json *j);

/* Opens an object, or closes the innermost one. With a key (inside an object) the object is
 * that member's value; key NULL at the top or inside an array. */
void tw_json_object_begin(tw_json *j, const char *key);
void tw_json_object_end(tw_json *j);

/* Opens an array (the member `key`, or an element when key is NULL), or closes it. */
void tw_json_array_begin(tw_json *j, const char *key);
void tw_json_array_end(tw_json *j);

/* One member `key` (or, with key NULL, one array element) of each kind. s NULL is written as
 * "". tw_json_double follows the non-finite rule above. */
void tw_json_string(tw_json *j, const char *key, const char *s);
void tw_json_double(tw_json *j, const char *key, double v);
void tw_json_u64(tw_json *j, const char *key, uint64_t v);
void tw_json_bool(tw_json *j, const char *key, bool v);
void tw_json_null(tw_json *j, const char *key);

/* The text so far (never NULL: "" when empty or failed) and its length. */
const char *tw_json_text(const tw_json *j);
size_t tw_json_len(const tw_json *j);

/* Writes the text and a newline to out, then resets the writer. Returns 0, or -ENOMEM when
 * the writer failed (nothing is written), or -EIO when out reports an error. */
int tw_json_line(tw_json *j, FILE *out);

#endif
