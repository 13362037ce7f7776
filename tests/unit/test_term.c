/* test_term.c - the terminal rule (common/term.h) against the C library's own UTF-8 decoder.
 *
 * Oracle: a unit is safe iff glibc's mbrtowc() in the C.UTF-8 locale decodes it to a character
 * up to U+10FFFF (RFC 3629) that is not a control (iswcntrl) below U+00A0; everything else (C0, DEL, C1, bytes that are not
 * well-formed UTF-8) is unsafe. Random byte strings biased to the edges (ESC, C1 lead bytes,
 * surrogates, overlongs, truncated sequences) are checked unit by unit, and mt_term_escape() and
 * mt_err_sanitize() are checked to leave nothing unsafe and, for escape, to decode back exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <wchar.h>
#include <wctype.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/term.h"

static uint64_t st = 20261201;

static unsigned rnd(unsigned n)
{
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((st >> 33) % n);
}

/* the oracle: length of the unit at s and whether it is unsafe */
static size_t oracle(const char *s, size_t n, int *unsafe)
{
    mbstate_t ps;
    wchar_t wc;
    size_t r;
    memset(&ps, 0, sizeof(ps));
    r = mbrtowc(&wc, s, n, &ps);
    if (r == (size_t)-1 || r == (size_t)-2) {
        *unsafe = 1;
        return 1;
    }
    if (r == 0) { /* NUL */
        *unsafe = 1;
        return 1;
    }
    if ((unsigned long)wc > 0x10ffff) { /* glibc decodes beyond RFC 3629's limit; we do not */
        *unsafe = 1;
        return 1;
    }
    *unsafe = wc < 0xa0 && iswcntrl((wint_t)wc);
    return r;
}

static const unsigned char edge[] = {0x1b, 0x07, 0x0a, 0x0d, 0x09, 0x7f, 0x9b, 0xc2, 0xc2, 0x80,
                                     0x9f, 0xa0, 0xc3, 0xbc, 0xe2, 0x80, 0xa8, 0xed, 0xa0, 0x80,
                                     0xf0, 0x9f, 0x98, 0x80, 0xf4, 0x90, 0xc0, 0xc1, 0xe0, 0xff,
                                     '\\', 'a', 'Z', ' ', '['};

static void fill(char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c = rnd(3) ? edge[rnd(sizeof(edge))] : 1 + rnd(255);
        b[i] = (char)c;
    }
}

static void test_units_match_the_c_library(void **state)
{
    char b[64];
    int k;
    (void)state;
    assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
    for (k = 0; k < 20000; k++) {
        size_t n = 1 + rnd(sizeof(b) - 1), i = 0;
        fill(b, n);
        while (i < n) {
            int ours, want;
            size_t len = mt_term_unit(b + i, n - i, &ours), wl = oracle(b + i, n - i, &want);
            if (ours != want || len != wl)
                fail_msg("at byte %zu (0x%02x): ours %d/%zu, C library %d/%zu", i,
                         (unsigned char)b[i], ours, len, want, wl);
            i += len;
        }
    }
}

static size_t unescape(const char *s, char *out)
{
    size_t j = 0;
    while (*s) {
        if (s[0] == '\\' && s[1] == 'x') {
            char h[3] = {s[2], s[3], 0};
            out[j++] = (char)strtoul(h, NULL, 16);
            s += 4;
        } else if (s[0] == '\\' && strchr("nrte", s[1])) {
            out[j++] = s[1] == 'n' ? '\n' : s[1] == 'r' ? '\r' : s[1] == 't' ? '\t' : 0x1b;
            s += 2;
        } else {
            out[j++] = *s++;
        }
    }
    return j;
}

static void test_escape_and_sanitize_leave_nothing_unsafe(void **state)
{
    char b[64], back[256], san[256];
    int k;
    (void)state;
    assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
    for (k = 0; k < 20000; k++) {
        struct mt_buf e = MT_BUF_INIT;
        size_t n = 1 + rnd(sizeof(b) - 1), i;
        fill(b, n);
        for (i = 0; i < n; i++) /* NUL and backslash would make decoding ambiguous */
            if (!b[i] || b[i] == '\\')
                b[i] = 'x';
        assert_int_equal(mt_term_escape(&e, b, n), 0);
        assert_false(mt_term_has_unsafe(e.p));
        assert_int_equal(unescape(e.p, back), n);
        assert_memory_equal(back, b, n);
        mt_err_sanitize(san, sizeof(san), b, n);
        assert_false(mt_term_has_unsafe(san));
        mt_buf_release(&e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_match_the_c_library),
        cmocka_unit_test(test_escape_and_sanitize_leave_nothing_unsafe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
