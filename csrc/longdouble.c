/*
 * Number conversions that ferrodis delegates to the platform C library so
 * that they behave exactly like Redis 7.0 built on the same platform:
 *
 *   - strtod-based parsing of doubles (Redis `string2d` and the looser
 *     check used by sorted-set range bounds);
 *   - `long double` parsing, addition and human formatting, which
 *     INCRBYFLOAT and HINCRBYFLOAT use (x87 80-bit extended precision on
 *     x86_64, which Rust cannot express).
 *
 * `long double` values cross the FFI boundary as opaque 16-byte, 16-aligned
 * buffers owned by Rust; they are moved in and out with memcpy.
 */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

/* Redis's MAX_LONG_DOUBLE_CHARS. */
#define FERRODIS_LD_CHARS (5 * 1024)

_Static_assert(sizeof(long double) <= 16, "long double must fit in 16 bytes");

static int c_isspace(char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static long double ld_load(const void *p) {
    long double v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void ld_store(void *p, long double v) {
    memset(p, 0, 16);
    memcpy(p, &v, sizeof(v));
}

/* Redis `string2d`. `s` holds `len` bytes and s[len] must be '\0'. */
int ferrodis_string2d(const char *s, size_t len, double *out) {
    char *end;
    double v;

    if (len == 0 || c_isspace(s[0])) return 0;
    errno = 0;
    v = strtod(s, &end);
    if ((size_t)(end - s) != len) return 0;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) return 0;
    if (isnan(v)) return 0;
    *out = v;
    return 1;
}

/* The check `zslParseRange` makes on a score bound: strtod must stop on the
 * terminating NUL (so an embedded NUL ends the number) and the result must
 * not be NaN. Leading spaces, overflow and even an empty string pass.
 * `s` must be NUL-terminated. */
int ferrodis_strtod_loose(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (end[0] != '\0' || isnan(v)) return 0;
    *out = v;
    return 1;
}

/* Redis `string2ld`: copies into a MAX_LONG_DOUBLE_CHARS buffer, so longer
 * input is refused. `s` need not be NUL-terminated. */
int ferrodis_string2ld(const char *s, size_t len, void *out) {
    char buf[FERRODIS_LD_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';

    errno = 0;
    v = strtold(buf, &end);
    if (c_isspace(buf[0]) || end[0] != '\0' || (size_t)(end - buf) != len) return 0;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) return 0;
    if (errno == EINVAL || isnan(v)) return 0;
    ld_store(out, v);
    return 1;
}

void ferrodis_ld_from_i64(long long v, void *out) {
    ld_store(out, (long double)v);
}

void ferrodis_ld_from_f64(double v, void *out) {
    ld_store(out, (long double)v);
}

void ferrodis_ld_add(const void *a, const void *b, void *out) {
    ld_store(out, ld_load(a) + ld_load(b));
}

/* 1 when finite, 0 for NaN or an infinity. */
int ferrodis_ld_isfinite(const void *a) {
    long double v = ld_load(a);
    return !(isnan(v) || isinf(v));
}

double ferrodis_ld_to_f64(const void *a) {
    return (double)ld_load(a);
}

/* Redis `ld2string(..., LD_STR_HUMAN)` into `buf` of `cap` bytes (the
 * callers pass FERRODIS_LD_CHARS like Redis). Returns the length written,
 * 0 when it did not fit (which is what Redis returns too). */
size_t ferrodis_ld2string_human(const void *a, char *buf, size_t cap) {
    long double v = ld_load(a);
    size_t l;
    int n;

    if (isinf(v)) {
        if (cap < 5) return 0;
        if (v > 0) {
            memcpy(buf, "inf", 3);
            l = 3;
        } else {
            memcpy(buf, "-inf", 4);
            l = 4;
        }
        buf[l] = '\0';
        return l;
    }
    n = snprintf(buf, cap, "%.17Lf", v);
    if (n < 0) return 0;
    l = (size_t)n;
    if (l + 1 > cap) return 0;
    if (memchr(buf, '.', l) != NULL) {
        while (l > 0 && buf[l - 1] == '0') l--;
        if (l > 0 && buf[l - 1] == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}

/* Only for tests: C's "%.17g" of a double. */
size_t ferrodis_fmt_17g(double v, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%.17g", v);
    return n < 0 ? 0 : (size_t)n;
}
