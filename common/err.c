#include "common/err.h"
#include "common/term.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(char *dst, size_t dstsz, const char *fmt, va_list ap)
{
    char tmp[sizeof(((struct mt_err *)0)->msg)];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    mt_err_sanitize(dst, dstsz, tmp, strlen(tmp));
}

int mt_err_set(struct mt_err *err, enum mt_errc code, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return -1;
    err->code = code;
    va_start(ap, fmt);
    vset(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int mt_err_sys(struct mt_err *err, enum mt_errc code, int errnum, const char *fmt, ...)
{
    va_list ap;
    size_t n;
    if (!err)
        return -1;
    err->code = code;
    err->sys_errno = errnum;
    va_start(ap, fmt);
    vset(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    n = strlen(err->msg);
    snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
    return -1;
}

int mt_err_hint(struct mt_err *err, const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return -1;
    va_start(ap, fmt);
    vset(err->hint, sizeof(err->hint), fmt, ap);
    va_end(ap);
    return -1;
}

void mt_err_prefix(struct mt_err *err, const char *fmt, ...)
{
    char pre[256], old[sizeof(err->msg)];
    size_t pl, ol;
    va_list ap;
    if (!err)
        return;
    va_start(ap, fmt);
    vset(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    /* the separator is ours: drop one a caller still writes, then add exactly ": " */
    pl = strlen(pre);
    while (pl && (pre[pl - 1] == ' ' || pre[pl - 1] == ':'))
        pre[--pl] = '\0';
    memcpy(old, err->msg, sizeof(old));
    ol = strlen(old);
    snprintf(err->msg, sizeof(err->msg), ol ? "%s: %s" : "%s", pre, old);
}

void mt_err_clear(struct mt_err *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

int mt_err_exit_code(const struct mt_err *err)
{
    if (!err)
        return 0;
    switch (err->code) {
    case MT_E_OK:
        return 0;
    case MT_E_USAGE:
        return 2;
    case MT_E_CONFIG:
        return 3;
    case MT_E_AUTH:
        return 4;
    default:
        return 1;
    }
}

void mt_err_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen)
{
    size_t i = 0, j = 0, len;
    int bad;
    if (!dstsz)
        return;
    srclen = strnlen(src, srclen);
    while (i < srclen) {
        len = mt_term_unit(src + i, srclen - i, &bad); /* the rule shared with stdout */
        if (j + (bad ? 1 : len) >= dstsz)
            break; /* never half a character */
        if (bad)
            dst[j++] = '?';
        else {
            memcpy(dst + j, src + i, len);
            j += len;
        }
        i += len;
    }
    dst[j] = '\0';
}
