/* sigv4_int.h - sigv4 internals shared by canon.c, sign.c, presign.c and tests/unit/test_sigv4.c.
 * Not part of the public API. */
#ifndef MT_SIGV4_SIGV4_INT_H
#define MT_SIGV4_SIGV4_INT_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "sigv4/sigv4.h"

/* One query parameter, both halves already percent-encoded (secret buffers: a value may be the
 * session token). */
struct mt_sigv4_qparam {
    struct mt_buf key;
    struct mt_buf value;
};

/* Query parameters in emission order. Zero-initialise; release with mt_sigv4_qlist_release. */
struct mt_sigv4_qlist {
    struct mt_sigv4_qparam *v;
    size_t n;
    size_t cap;
};

/* Wipes and frees every parameter; the list is left empty. NULL-safe. */
void mt_sigv4_qlist_release(struct mt_sigv4_qlist *l);
/* Appends decoded key/value (value NULL means ""), percent-encoding both. MT_E_NOMEM. */
int mt_sigv4_qlist_add(struct mt_sigv4_qlist *l, const char *key, const char *value,
                       struct mt_err *err) MT_WUR;
/* Splits a raw query string on '&' (empty pieces skipped) and the first '=', percent-decodes
 * each half and appends it re-encoded. MT_E_USAGE on a malformed %-escape, MT_E_NOMEM. */
int mt_sigv4_qlist_add_raw(struct mt_sigv4_qlist *l, const char *raw, struct mt_err *err) MT_WUR;
/* Appends "k=v" pairs of l joined with '&', in list order (sorted=0) or sorted by encoded key
 * then encoded value (sorted=1, the canonical query). MT_E_NOMEM. */
int mt_sigv4_qlist_join(struct mt_buf *out, const struct mt_sigv4_qlist *l, int sorted,
                        struct mt_err *err) MT_WUR;

/* Appends the canonical URI for a raw wire path (NULL/"" -> "/"): botocore's
 * remove_dot_segments (also collapsing repeated slashes) unless MT_SIGV4_NO_NORMALIZE_PATH, then
 * percent-encoding with '/' kept unless MT_SIGV4_NO_ENCODE_PATH. MT_E_USAGE when the path does
 * not start with '/' or holds a control character, MT_E_NOMEM. */
int mt_sigv4_canonical_path(struct mt_buf *out, const char *path, unsigned flags,
                            struct mt_err *err) MT_WUR;

/* Appends the canonical header block ("name:value\n" per distinct lower-cased name, sorted, values
 * of repeated names joined with ',' in input order, trimmed, whitespace runs collapsed) to canon
 * and the SignedHeaders list ("a;b;c") to names. MT_E_USAGE for a NULL/empty/non-token name, a
 * NULL value or a control character other than HT/CR/LF in a value; MT_E_NOMEM. */
int mt_sigv4_canonical_headers(struct mt_buf *canon, struct mt_buf *names,
                               const struct mt_sigv4_pair *h, size_t n, struct mt_err *err) MT_WUR;

/* 1 when c is an RFC 7230 token character (header names, methods). */
int mt_sigv4_is_tchar(unsigned char c);

#endif
