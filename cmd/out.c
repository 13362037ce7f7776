/* out.c - escaping for what a person reads (out.h). */
#include "cmd/out.h"

#include <string.h>

#include "common/term.h"

#define NRING 16

static struct mt_buf ring[NRING];
static unsigned ring_next;

const char *mt_tx(const char *s)
{
    struct mt_buf *b = &ring[ring_next++ % NRING];
    if (!s)
        return "?";
    mt_buf_reset(b);
    if (mt_term_escape(b, s, strlen(s)) < 0)
        return "?";
    return mt_buf_str(b);
}

static int shq(struct mt_buf *out, const char *s, int bare_ok)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s), i = 0, len, k;
    int open = 0, bad;

    if (!n)
        return mt_buf_adds(out, "''");
    /* a leading '=' is zsh's command-path expansion (=cmd): quoted like any other shell meaning */
    if (bare_ok && s[0] != '=' &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@%+=:,./_-") == n)
        return mt_buf_add(out, s, n); /* nothing the shell would read differently */
    while (i < n) {
        len = mt_term_unit(s + i, n - i, &bad);
        if (bad) {
            if (open && mt_buf_addc(out, '\'') < 0)
                return -1;
            open = 0;
            if (mt_buf_adds(out, "$'") < 0)
                return -1;
            for (k = 0; k < len; k++) {
                unsigned char c = (unsigned char)s[i + k];
                char x[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                if (mt_buf_add(out, x, 4) < 0)
                    return -1;
            }
            if (mt_buf_addc(out, '\'') < 0)
                return -1;
            i += len;
            continue;
        }
        if (!open && mt_buf_addc(out, '\'') < 0)
            return -1;
        open = 1;
        if (s[i] == '\'' ? mt_buf_adds(out, "'\\''") < 0 : mt_buf_add(out, s + i, len) < 0)
            return -1;
        i += len;
    }
    return open ? mt_buf_addc(out, '\'') : 0;
}

int mt_shq(struct mt_buf *out, const char *s)
{
    return shq(out, s, 1);
}

int mt_shq_always(struct mt_buf *out, const char *s)
{
    return shq(out, s, 0);
}
