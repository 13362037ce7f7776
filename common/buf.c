#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

static size_t cap_of(const struct mt_buf *b)
{
    return b->max ? b->max : MT_BUF_DEFAULT_MAX;
}

int mt_buf_grow(struct mt_buf *b, size_t n)
{
    size_t need, ncap;
    char *np;

    if (n > cap_of(b) || b->len > cap_of(b) - n)
        return -1;
    need = b->len + n + 1;
    if (b->p && need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    if (b->secret) {
        /* allocate-copy-wipe-free: realloc could leave a copy in freed memory */
        np = malloc(ncap);
        if (!np)
            return -1;
        if (b->p) {
            memcpy(np, b->p, b->len + 1);
            mt_freezero(b->p, b->cap);
        } else {
            np[0] = '\0';
        }
    } else {
        np = realloc(b->p, ncap);
        if (!np)
            return -1;
        if (!b->p)
            np[0] = '\0';
    }
    b->p = np;
    b->cap = ncap;
    return 0;
}

int mt_buf_add(struct mt_buf *b, const void *data, size_t n)
{
    if (mt_buf_grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int mt_buf_adds(struct mt_buf *b, const char *s)
{
    return mt_buf_add(b, s, strlen(s));
}

int mt_buf_addc(struct mt_buf *b, char c)
{
    return mt_buf_add(b, &c, 1);
}

int mt_buf_vaddf(struct mt_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || mt_buf_grow(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int mt_buf_addf(struct mt_buf *b, const char *fmt, ...)
{
    va_list ap;
    int r;
    va_start(ap, fmt);
    r = mt_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return r;
}

const char *mt_buf_str(const struct mt_buf *b)
{
    return b->p ? b->p : "";
}

void mt_buf_reset(struct mt_buf *b)
{
    if (!b->p)
        return;
    if (b->secret)
        mt_memzero(b->p, b->len);
    b->len = 0;
    b->p[0] = '\0';
}

void mt_buf_release(struct mt_buf *b)
{
    if (!b)
        return;
    if (b->p) {
        if (b->secret)
            mt_freezero(b->p, b->cap);
        else
            free(b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}

char *mt_buf_detach(struct mt_buf *b)
{
    char *s = b->p;
    if (!s)
        s = calloc(1, 1);
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}
