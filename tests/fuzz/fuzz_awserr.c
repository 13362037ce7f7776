/* fuzz_awserr.c - AWS error bodies (JSON protocols: __type/code/message; query/XML protocols:
 * <ErrorResponse>/<Error>/<Code>/<Message>) parsed from arbitrary bytes, with the status and the
 * x-amzn-ErrorType header taken from the first bytes. Properties: never crashes or leaks; the
 * result is always -1 with a non-OK code; message, type and request id hold no control
 * character and are NUL-terminated within their arrays. See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/awserr.h"
#include "common/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean(const char *s, size_t cap, const char *what)
{
    size_t i;
    if (!memchr(s, '\0', cap)) {
        fprintf(stderr, "%s is not terminated\n", what);
        abort();
    }
    for (i = 0; s[i]; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            fprintf(stderr, "%s holds a control character\n", what);
            abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const long statuses[] = {400, 403, 404, 429, 500, 503, 302, 200};
    struct mt_http_resp resp = MT_HTTP_RESP_INIT;
    struct mt_err err = MT_ERR_INIT;
    size_t hl = 0;

    if (size < 2)
        return 0;
    resp.status = statuses[data[0] & 7];
    /* bytes 1..(1+n) go to x-amzn-ErrorType, the rest is the body */
    hl = data[1] % 64;
    if (hl > size - 2)
        hl = size - 2;
    memcpy(resp.error_type, data + 2, hl);
    resp.error_type[hl] = '\0';
    if (mt_buf_add(&resp.body, data + 2 + hl, size - 2 - hl) < 0)
        return 0;
    if (mt_aws_parse_error(&resp, &err) != -1 || err.code == MT_E_OK) {
        fprintf(stderr, "an error body did not give an error\n");
        abort();
    }
    clean(err.msg, sizeof(err.msg), "msg");
    clean(err.aws_type, sizeof(err.aws_type), "aws_type");
    clean(err.request_id, sizeof(err.request_id), "request_id");
    clean(err.hint, sizeof(err.hint), "hint");
    mt_buf_release(&resp.body);
    return 0;
}
