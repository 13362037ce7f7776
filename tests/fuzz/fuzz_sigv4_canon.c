/* fuzz_sigv4_canon.c - SigV4 canonicalisation on arbitrary path, query, header and parameter
 * bytes, in both modes. The input is split at NUL bytes: mode/flags byte, path, raw query,
 * then name/value pairs alternating between headers and parameters. Properties: never crashes
 * or leaks; a successful signature is 64 lower-case hex digits; the canonical request starts with
 * the method line and never holds a raw control character outside header values; signing the
 * same request twice gives the same bytes. See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sigv4/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_sigv4_creds creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                   NULL};
    struct mt_sigv4_pair hdr[MAXF / 2 + 1], par[MAXF / 2];
    struct mt_sigv4_request req;
    struct mt_sigv4_result a, b;
    struct mt_err err = MT_ERR_INIT;
    char *copy, *f[MAXF + 3];
    size_t nf = 0, nh = 0, np = 0, i, start = 0;
    unsigned mode;

    if (size < 1 || size > 4096)
        return 0;
    mode = data[0];
    if (!(copy = malloc(size)))
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    for (i = 0; i < size && nf < MAXF + 2; i++)
        if (i == size - 1 || copy[i] == '\0') {
            f[nf++] = copy + start;
            start = i + 1;
        }
    hdr[nh++] = (struct mt_sigv4_pair){"host", "example.amazonaws.com"};
    for (i = 2; i + 1 < nf; i += 2) {
        if (((i / 2) & 1) && nh < MAXF / 2 + 1)
            hdr[nh++] = (struct mt_sigv4_pair){f[i], f[i + 1]};
        else if (np < MAXF / 2)
            par[np++] = (struct mt_sigv4_pair){f[i], f[i + 1]};
    }
    memset(&req, 0, sizeof(req));
    req.mode = (mode & 1) ? MT_SIGV4_MODE_QUERY : MT_SIGV4_MODE_HEADER;
    req.method = (mode & 2) ? "POST" : "GET";
    req.path = nf > 0 ? f[0] : "/";
    req.raw_query = nf > 1 ? f[1] : NULL;
    req.params = par;
    req.nparams = np;
    req.headers = hdr;
    req.nheaders = nh;
    req.body = (mode & 4) ? data : NULL;
    req.body_len = (mode & 4) ? size : 0;
    req.region = "us-east-1";
    req.service = (mode & 8) ? "rds-db" : "service";
    if (mode & 16)
        creds.session_token = "IQoJb3JpZ2luX2VjEXAMPLE";
    req.creds = &creds;
    req.now = 1440938160;
    req.expires = 900;
    mt_sigv4_result_init(&a);
    mt_sigv4_result_init(&b);
    if (mt_sigv4_sign(&req, &a, &err) == 0) {
        const char *cr = mt_buf_str(&a.canonical_request);
        if (strlen(a.signature) != 64 || strspn(a.signature, "0123456789abcdef") != 64) {
            fprintf(stderr, "bad signature '%s'\n", a.signature);
            abort();
        }
        if (strncmp(cr, req.method, strlen(req.method)) || cr[strlen(req.method)] != '\n') {
            fprintf(stderr, "canonical request does not start with the method\n");
            abort();
        }
        if (mt_sigv4_sign(&req, &b, &err) < 0 || strcmp(a.signature, b.signature) ||
            a.query.len != b.query.len || (a.query.len && memcmp(a.query.p, b.query.p, a.query.len))) {
            fprintf(stderr, "signing is not deterministic\n");
            abort();
        }
    } else if (err.code != MT_E_USAGE && err.code != MT_E_NOMEM) {
        fprintf(stderr, "unexpected error code %d: %s\n", err.code, err.msg);
        abort();
    }
    mt_sigv4_result_release(&a);
    mt_sigv4_result_release(&b);
    free(copy);
    return 0;
}
