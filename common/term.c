/* term.c - one rule for the bytes a terminal could act on (term.h). */
#include "common/term.h"

#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no surrogates,
 * at most U+10FFFF), or 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len, i;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (n < len)
        return 0;
    for (i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return len;
}

size_t mt_term_unit(const char *s, size_t n, int *unsafe)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len;
    *unsafe = 1;
    if (!n)
        return 0;
    if (u[0] < 0x20 || u[0] == 0x7f)
        return 1;
    if (u[0] == 0xc2 && n >= 2 && u[1] >= 0x80 && u[1] <= 0x9f)
        return 2; /* C1 control */
    if (!(len = utf8_len(u, n)))
        return 1;
    *unsafe = 0;
    return len;
}

size_t mt_term_unsafe_len(const char *s, size_t n)
{
    int bad;
    size_t len = mt_term_unit(s, n, &bad);
    return bad ? len : 0;
}

int mt_term_has_unsafe(const char *s)
{
    size_t n = s ? strlen(s) : 0, i = 0;
    int bad;
    while (i < n) {
        i += mt_term_unit(s + i, n - i, &bad);
        if (bad)
            return 1;
    }
    return 0;
}

int mt_term_escape(struct mt_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, start = 0, len, k;
    int bad;

    if (mt_buf_add(out, "", 0) < 0) /* an empty input still yields "" */
        return -1;
    while (i < n) {
        len = mt_term_unit(s + i, n - i, &bad);
        if (!bad) {
            i += len;
            continue;
        }
        if (mt_buf_add(out, s + start, i - start) < 0)
            return -1;
        for (k = 0; k < len; k++) {
            unsigned char c = (unsigned char)s[i + k];
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                              : c == 0x1b ? "\\e" : NULL;
            char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            if (named ? mt_buf_add(out, named, 2) < 0 : mt_buf_add(out, x, 4) < 0)
                return -1;
        }
        i += len;
        start = i;
    }
    return mt_buf_add(out, s + start, n - start);
}
