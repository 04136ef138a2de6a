/* json.c - the monitor's one JSON writer: escaping, numbers, commas, a growable buffer. */
#include "json.h"

#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
tw_json_init(tw_json *j)
{
    memset(j, 0, sizeof(*j));
    j->first[0] = true;
}

void
tw_json_fini(tw_json *j)
{
    free(j->buf);
    tw_json_init(j);
}

void
tw_json_reset(tw_json *j)
{
    j->len = 0;
    if (j->buf)
        j->buf[0] = '\0';
    j->failed = false;
    j->depth = 0;
    j->first[0] = true;
}

/* Makes room for n more bytes and the NUL; false (and failed) when it cannot. */
static bool
reserve(tw_json *j, size_t n)
{
    if (j->failed)
        return false;
    if (j->len + n + 1 <= j->cap)
        return true;
    size_t cap = j->cap ? j->cap : 256;
    while (cap < j->len + n + 1)
        cap *= 2;
    char *b = realloc(j->buf, cap);
    if (!b) {
        j->failed = true;
        return false;
    }
    j->buf = b;
    j->cap = cap;
    return true;
}

static void
put(tw_json *j, const char *s, size_t n)
{
    if (!reserve(j, n))
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void
putf(tw_json *j, const char *fmt, ...)
{
    char tmp[64]; /* numbers and short keys only */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof tmp)
        put(j, tmp, (size_t)n);
}

/* Writes the bytes of s (NUL-terminated), escaped, without quotes: the text is always valid
 * UTF-8 (a byte that is not part of a valid sequence is written as \ufffd). */
static void
put_escaped(tw_json *j, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        const unsigned char *run = p; /* bytes copied as they are */
        while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
            p++;
        put(j, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        unsigned long cp = 0;
        size_t n = *p >= 0x80 ? tw_text_utf8(p, &cp) : 0;
        if (*p == '"')
            put(j, "\\\"", 2);
        else if (*p == '\\')
            put(j, "\\\\", 2);
        else if (*p == '\n')
            put(j, "\\n", 2);
        else if (*p == '\t')
            put(j, "\\t", 2);
        else if (*p < 0x80)
            putf(j, "\\u%04x", *p);
        else if (n == 0)
            put(j, "\\ufffd", 6);
        else if (tw_text_refused_cp(cp)) /* C1, bidi, invisible: as on a terminal */
            putf(j, "\\u%04lx", cp);
        else
            put(j, (const char *)p, n);
        p += n ? n : 1;
    }
}

/* Writes s (NULL: "") followed by suffix as one quoted, escaped JSON string. */
static void
put_string(tw_json *j, const char *s, const char *suffix)
{
    put(j, "\"", 1);
    put_escaped(j, s ? s : "");
    put_escaped(j, suffix);
    put(j, "\"", 1);
}

/* The separator and the key of the next member (or element, key NULL). */
static void
member(tw_json *j, const char *key)
{
    if (!j->first[j->depth])
        put(j, ",", 1);
    j->first[j->depth] = false;
    if (key) {
        put_string(j, key, "");
        put(j, ":", 1);
    }
}

static void
open_level(tw_json *j, const char *key, char c)
{
    member(j, key);
    if (j->depth + 1 >= TW_JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    put(j, &c, 1);
    j->first[++j->depth] = true;
}

static void
close_level(tw_json *j, char c)
{
    put(j, &c, 1);
    if (j->depth > 0)
        j->depth--;
}

void
tw_json_object_begin(tw_json *j, const char *key)
{
    open_level(j, key, '{');
}

void
tw_json_object_end(tw_json *j)
{
    close_level(j, '}');
}

void
tw_json_array_begin(tw_json *j, const char *key)
{
    open_level(j, key, '[');
}

void
tw_json_array_end(tw_json *j)
{
    close_level(j, ']');
}

void
tw_json_string(tw_json *j, const char *key, const char *s)
{
    member(j, key);
    put_string(j, s, "");
}

void
tw_json_double(tw_json *j, const char *key, double v)
{
    member(j, key);
    if (isfinite(v)) {
        putf(j, "%.17g", v);
        return;
    }
    put(j, "null", 4);
    if (!key)
        return;
    put(j, ",", 1);
    put_string(j, key, "_nonfinite");
    put(j, ":", 1);
    put_string(j, isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"), "");
}

void
tw_json_u64(tw_json *j, const char *key, uint64_t v)
{
    member(j, key);
    putf(j, "%llu", (unsigned long long)v);
}

void
tw_json_bool(tw_json *j, const char *key, bool v)
{
    member(j, key);
    if (v)
        put(j, "true", 4);
    else
        put(j, "false", 5);
}

void
tw_json_null(tw_json *j, const char *key)
{
    member(j, key);
    put(j, "null", 4);
}

const char *
tw_json_text(const tw_json *j)
{
    return j->buf && !j->failed ? j->buf : "";
}

size_t
tw_json_len(const tw_json *j)
{
    return j->failed ? 0 : j->len;
}

int
tw_json_line(tw_json *j, FILE *out)
{
    int rc = 0;
    if (j->failed)
        rc = -ENOMEM;
    else if (fwrite(j->buf ? j->buf : "", 1, j->len, out) != j->len || fputc('\n', out) == EOF)
        rc = -EIO;
    tw_json_reset(j);
    return rc;
}
