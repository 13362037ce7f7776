/* buf.h - growable byte buffer, always NUL-terminated, with a size cap and a secret mode.
 *
 * A secret buffer never leaves a copy behind: it grows by allocate-copy-wipe-free and is wiped on
 * release. Use it for anything holding a key, token, password or plaintext.
 * Appends return 0, or -1 when memory runs out or the cap (max, default MT_BUF_DEFAULT_MAX) would
 * be exceeded; a failed append leaves the buffer as it was. */
#ifndef MT_COMMON_BUF_H
#define MT_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/err.h"

#define MT_BUF_DEFAULT_MAX ((size_t)64 << 20)

struct mt_buf {
    char *p;        /* NULL until the first append; then NUL-terminated */
    size_t len;
    size_t cap;
    size_t max;     /* 0 means MT_BUF_DEFAULT_MAX */
    int secret;
};

#define MT_BUF_INIT {0}
#define MT_BUF_INIT_SECRET {.secret = 1}

int mt_buf_add(struct mt_buf *b, const void *data, size_t n) MT_WUR;
int mt_buf_adds(struct mt_buf *b, const char *s) MT_WUR;
int mt_buf_addc(struct mt_buf *b, char c) MT_WUR;
int mt_buf_addf(struct mt_buf *b, const char *fmt, ...) MT_PRINTF(2, 3) MT_WUR;
int mt_buf_vaddf(struct mt_buf *b, const char *fmt, va_list ap) MT_WUR;
/* Makes room for n more bytes; returns 0 or -1. */
int mt_buf_grow(struct mt_buf *b, size_t n) MT_WUR;
/* The contents as a C string; "" for an empty buffer (never NULL). */
const char *mt_buf_str(const struct mt_buf *b);
/* Empties the buffer (wiping a secret one), keeping the allocation. */
void mt_buf_reset(struct mt_buf *b);
/* Frees (wiping a secret one) and returns the buffer to its initial state, keeping mode and cap. */
void mt_buf_release(struct mt_buf *b);
/* Hands the string over; caller frees (with mt_free_secret if it was secret). Never NULL on
 * success; NULL only if allocation of an empty string fails. The buffer is left empty. */
char *mt_buf_detach(struct mt_buf *b);

#endif
