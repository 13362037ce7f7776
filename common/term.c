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

size_t mt_term_unsafe_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!n)
        return 0;
    if (u[0] < 0x20 || u[0] == 0x7f)
        return 1;
    if (u[0] < 0x80)
        return 0;
    if (u[0] == 0xc2 && n >= 2 && u[1] >= 0x80 && u[1] <= 0x9f)
        return 2; /* C1 control */
    return utf8_len(u, n) ? 0 : 1;
}

int mt_term_has_unsafe(const char *s)
{
    size_t n = s ? strlen(s) : 0, i;
    for (i = 0; i < n; i++)
        if (mt_term_unsafe_len(s + i, n - i))
            return 1;
    return 0;
}

int mt_term_escape(struct mt_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0, start = 0, bad, k;

    if (mt_buf_add(out, "", 0) < 0) /* an empty input still yields "" */
        return -1;
    while (i < n) {
        bad = mt_term_unsafe_len(s + i, n - i);
        if (!bad) {
            i++;
            continue;
        }
        if (mt_buf_add(out, s + start, i - start) < 0)
            return -1;
        for (k = 0; k < bad; k++) {
            unsigned char c = (unsigned char)s[i + k];
            const char *named = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t"
                              : c == 0x1b ? "\\e" : NULL;
            char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            if (named ? mt_buf_add(out, named, 2) < 0 : mt_buf_add(out, x, 4) < 0)
                return -1;
        }
        i += bad;
        start = i;
    }
    return mt_buf_add(out, s + start, n - start);
}
