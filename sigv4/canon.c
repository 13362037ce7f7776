/* canon.c - SigV4 canonicalisation: percent-encoding, canonical URI, query and headers.
 * aws-wire.md 1.2-1.4; behaviour matches botocore 1.43 SigV4Auth. Pure. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "sigv4/sigv4_int.h"

static const char hexdig[] = "0123456789ABCDEF";

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

int mt_sigv4_is_tchar(unsigned char c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

/* Cuts b back to len bytes, wiping what is dropped (used to undo a partial append). */
static void truncate_to(struct mt_buf *b, size_t len)
{
    if (!b->p || b->len <= len)
        return;
    mt_memzero(b->p + len, b->len - len);
    b->len = len;
    b->p[len] = '\0';
}

int mt_sigv4_uri_encode(struct mt_buf *out, const char *s, size_t n, int keep_slash)
{
    size_t start = out->len, i;
    char esc[3];

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int r;
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            r = mt_buf_addc(out, (char)c);
        } else {
            esc[0] = '%';
            esc[1] = hexdig[c >> 4];
            esc[2] = hexdig[c & 15];
            r = mt_buf_add(out, esc, 3);
        }
        if (r < 0) {
            truncate_to(out, start);
            return -1;
        }
    }
    /* make an empty result a valid "" string too */
    if (!out->p && mt_buf_add(out, "", 0) < 0)
        return -1;
    return 0;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into out. Returns 0, -1 out of memory, 1 malformed escape. */
static int pct_decode(struct mt_buf *out, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (n - i < 3)
                return 1;
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return 1;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (mt_buf_addc(out, c) < 0)
            return -1;
    }
    return 0;
}

void mt_sigv4_qlist_release(struct mt_sigv4_qlist *l)
{
    size_t i;
    if (!l)
        return;
    for (i = 0; i < l->n; i++) {
        mt_buf_release(&l->v[i].key);
        mt_buf_release(&l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Appends an empty secret slot and returns it, or NULL when out of memory. */
static struct mt_sigv4_qparam *qlist_slot(struct mt_sigv4_qlist *l)
{
    struct mt_sigv4_qparam *p;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        struct mt_sigv4_qparam *nv;
        if (ncap > SIZE_MAX / sizeof(*nv))
            return NULL;
        /* the slots only hold buffer headers; the secret bytes live in the buffers */
        nv = realloc(l->v, ncap * sizeof(*nv));
        if (!nv)
            return NULL;
        l->v = nv;
        l->cap = ncap;
    }
    p = &l->v[l->n++];
    memset(p, 0, sizeof(*p));
    p->key.secret = 1;
    p->value.secret = 1;
    return p;
}

static void qlist_drop_last(struct mt_sigv4_qlist *l)
{
    l->n--;
    mt_buf_release(&l->v[l->n].key);
    mt_buf_release(&l->v[l->n].value);
}

static int add_encoded(struct mt_sigv4_qlist *l, const char *k, size_t kn, const char *v,
                       size_t vn, struct mt_err *err)
{
    struct mt_sigv4_qparam *p = qlist_slot(l);
    if (!p)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    if (mt_sigv4_uri_encode(&p->key, k, kn, 0) < 0 ||
        mt_sigv4_uri_encode(&p->value, v, vn, 0) < 0) {
        qlist_drop_last(l);
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    }
    return 0;
}

int mt_sigv4_qlist_add(struct mt_sigv4_qlist *l, const char *key, const char *value,
                       struct mt_err *err)
{
    if (!key)
        return mt_err_set(err, MT_E_USAGE, "query parameter without a name");
    if (!value)
        value = "";
    return add_encoded(l, key, strlen(key), value, strlen(value), err);
}

int mt_sigv4_qlist_add_raw(struct mt_sigv4_qlist *l, const char *raw, struct mt_err *err)
{
    struct mt_buf k = MT_BUF_INIT_SECRET, v = MT_BUF_INIT_SECRET;
    const char *p = raw, *amp, *eq;
    int rc = -1;

    while (p && *p) {
        size_t len;
        int d;
        amp = strchr(p, '&');
        len = amp ? (size_t)(amp - p) : strlen(p);
        if (len) {
            eq = memchr(p, '=', len);
            mt_buf_reset(&k);
            mt_buf_reset(&v);
            d = pct_decode(&k, p, eq ? (size_t)(eq - p) : len);
            if (d == 0 && eq)
                d = pct_decode(&v, eq + 1, len - (size_t)(eq - p) - 1);
            if (d > 0) {
                mt_err_set(err, MT_E_USAGE, "malformed percent-escape in query string");
                goto out;
            }
            if (d < 0) {
                mt_err_set(err, MT_E_NOMEM, "out of memory");
                goto out;
            }
            if (add_encoded(l, mt_buf_str(&k), k.len, mt_buf_str(&v), v.len, err) < 0)
                goto out;
        }
        p = amp ? amp + 1 : NULL;
    }
    rc = 0;
out:
    mt_buf_release(&k);
    mt_buf_release(&v);
    return rc;
}

static int qparam_cmp(const void *a, const void *b)
{
    const struct mt_sigv4_qparam *x = *(const struct mt_sigv4_qparam *const *)a;
    const struct mt_sigv4_qparam *y = *(const struct mt_sigv4_qparam *const *)b;
    int c = strcmp(mt_buf_str(&x->key), mt_buf_str(&y->key));
    return c ? c : strcmp(mt_buf_str(&x->value), mt_buf_str(&y->value));
}

int mt_sigv4_qlist_join(struct mt_buf *out, const struct mt_sigv4_qlist *l, int sorted,
                        struct mt_err *err)
{
    const struct mt_sigv4_qparam **order = NULL;
    size_t start = out->len, i;
    int rc = -1;

    if (l->n == 0)
        return mt_buf_add(out, "", 0) < 0 ? mt_err_set(err, MT_E_NOMEM, "out of memory") : 0;
    order = calloc(l->n, sizeof(*order));
    if (!order)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    for (i = 0; i < l->n; i++)
        order[i] = &l->v[i];
    if (sorted)
        qsort(order, l->n, sizeof(*order), qparam_cmp);
    for (i = 0; i < l->n; i++) {
        if ((i && mt_buf_addc(out, '&') < 0) || mt_buf_add(out, mt_buf_str(&order[i]->key),
                                                           order[i]->key.len) < 0 ||
            mt_buf_addc(out, '=') < 0 ||
            mt_buf_add(out, mt_buf_str(&order[i]->value), order[i]->value.len) < 0) {
            truncate_to(out, start);
            mt_err_set(err, MT_E_NOMEM, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    free(order);
    return rc;
}

/* botocore utils.remove_dot_segments: drops "" and "." segments, ".." pops one, keeps the leading
 * slash, keeps a trailing slash only when something is left. p starts with '/'. */
static int remove_dot_segments(struct mt_buf *out, const char *p)
{
    size_t n = strlen(p), nseg = 0, i, *starts = NULL, *lens = NULL, maxseg = 1;
    const char *s = p;
    int rc = -1;

    for (i = 0; i < n; i++)
        maxseg += p[i] == '/';
    starts = calloc(maxseg, sizeof(*starts));
    lens = calloc(maxseg, sizeof(*lens));
    if (!starts || !lens)
        goto out;
    while (s <= p + n) {
        const char *e = memchr(s, '/', (size_t)(p + n - s));
        size_t len = e ? (size_t)(e - s) : (size_t)(p + n - s);
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (nseg)
                nseg--;
        } else if (len && !(len == 1 && s[0] == '.')) {
            starts[nseg] = (size_t)(s - p);
            lens[nseg++] = len;
        }
        if (!e)
            break;
        s = e + 1;
    }
    if (mt_buf_addc(out, '/') < 0)
        goto out;
    for (i = 0; i < nseg; i++)
        if ((i && mt_buf_addc(out, '/') < 0) || mt_buf_add(out, p + starts[i], lens[i]) < 0)
            goto out;
    if (nseg && n && p[n - 1] == '/' && mt_buf_addc(out, '/') < 0)
        goto out;
    rc = 0;
out:
    free(starts);
    free(lens);
    return rc;
}

int mt_sigv4_canonical_path(struct mt_buf *out, const char *path, unsigned flags,
                            struct mt_err *err)
{
    struct mt_buf norm = MT_BUF_INIT;
    size_t start = out->len, i;
    int rc = -1;

    if (!path || !*path)
        path = "/";
    if (path[0] != '/')
        return mt_err_set(err, MT_E_USAGE, "request path '%s' does not start with '/'", path);
    for (i = 0; path[i]; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
            return mt_err_set(err, MT_E_USAGE, "control character in request path");
    if (flags & MT_SIGV4_NO_NORMALIZE_PATH) {
        if (mt_buf_adds(&norm, path) < 0)
            goto nomem;
    } else if (remove_dot_segments(&norm, path) < 0) {
        goto nomem;
    }
    if (flags & MT_SIGV4_NO_ENCODE_PATH) {
        if (mt_buf_add(out, mt_buf_str(&norm), norm.len) < 0)
            goto nomem;
    } else if (mt_sigv4_uri_encode(out, mt_buf_str(&norm), norm.len, 1) < 0) {
        goto nomem;
    }
    rc = 0;
    goto out;
nomem:
    truncate_to(out, start);
    mt_err_set(err, MT_E_NOMEM, "out of memory");
out:
    mt_buf_release(&norm);
    return rc;
}

/* A header seen by the canonicaliser: borrowed name and value, original position. */
struct hent {
    const char *name;
    const char *value;
    size_t idx;
};

static int name_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char x = lower((unsigned char)*a), y = lower((unsigned char)*b);
        if (x != y || !x)
            return (int)x - (int)y;
    }
}

static int hent_cmp(const void *a, const void *b)
{
    const struct hent *x = a, *y = b;
    int c = name_cmp(x->name, y->name);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Appends v trimmed, with each run of whitespace collapsed to one space (botocore
 * ' '.join(v.split())). */
static int add_trimmed(struct mt_buf *out, const char *v)
{
    int pending = 0, any = 0;
    for (; *v; v++) {
        if (is_ws((unsigned char)*v)) {
            pending = any;
            continue;
        }
        if (pending && mt_buf_addc(out, ' ') < 0)
            return -1;
        pending = 0;
        any = 1;
        if (mt_buf_addc(out, *v) < 0)
            return -1;
    }
    return 0;
}

int mt_sigv4_canonical_headers(struct mt_buf *canon, struct mt_buf *names,
                               const struct mt_sigv4_pair *h, size_t n, struct mt_err *err)
{
    struct hent *e = NULL;
    size_t cstart = canon->len, nstart = names->len, i, j;
    int rc = -1;

    if (n == 0)
        return mt_err_set(err, MT_E_USAGE, "no headers to sign");
    for (i = 0; i < n; i++) {
        const char *s;
        if (!h[i].name || !*h[i].name)
            return mt_err_set(err, MT_E_USAGE, "header without a name");
        for (s = h[i].name; *s; s++)
            if (!mt_sigv4_is_tchar((unsigned char)*s))
                return mt_err_set(err, MT_E_USAGE, "invalid header name '%s'", h[i].name);
        if (!h[i].value)
            return mt_err_set(err, MT_E_USAGE, "header '%s' without a value", h[i].name);
        for (s = h[i].value; *s; s++) {
            unsigned char c = (unsigned char)*s;
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
                return mt_err_set(err, MT_E_USAGE, "control character in header '%s'",
                                  h[i].name);
        }
    }
    e = calloc(n, sizeof(*e));
    if (!e)
        return mt_err_set(err, MT_E_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        e[i].name = h[i].name;
        e[i].value = h[i].value;
        e[i].idx = i;
    }
    qsort(e, n, sizeof(*e), hent_cmp);
    for (i = 0; i < n; i = j) {
        const char *s;
        if (i && mt_buf_addc(names, ';') < 0)
            goto nomem;
        for (s = e[i].name; *s; s++)
            if (mt_buf_addc(canon, (char)lower((unsigned char)*s)) < 0 ||
                mt_buf_addc(names, (char)lower((unsigned char)*s)) < 0)
                goto nomem;
        if (mt_buf_addc(canon, ':') < 0)
            goto nomem;
        for (j = i; j < n && name_cmp(e[i].name, e[j].name) == 0; j++)
            if ((j > i && mt_buf_addc(canon, ',') < 0) || add_trimmed(canon, e[j].value) < 0)
                goto nomem;
        if (mt_buf_addc(canon, '\n') < 0)
            goto nomem;
    }
    rc = 0;
    goto out;
nomem:
    truncate_to(canon, cstart);
    truncate_to(names, nstart);
    mt_err_set(err, MT_E_NOMEM, "out of memory");
out:
    free(e);
    return rc;
}
