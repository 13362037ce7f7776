/* fuzz_sso_token.c - the tolerant SSO token-cache reader (and the registration and CLI-cache
 * readers) on arbitrary bytes. Properties: never crashes or leaks; whatever it reads renders in the
 * AWS CLI's format, and that rendering reads back to the same fields. See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sso/sso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invalid UTF-8 is written as U+FFFD (Python's json.dumps of a decoded file cannot hold it
 * either), so only ASCII values must survive a round trip unchanged. */
static int same(const char *a, const char *b)
{
    const unsigned char *p;
    if (a)
        for (p = (const unsigned char *)a; *p; p++)
            if (*p >= 0x80)
                return 1;
    return (!a && !b) || (a && b && !strcmp(a, b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_sso_token t = MT_SSO_TOKEN_INIT, t2 = MT_SSO_TOKEN_INIT;
    struct mt_sso_registration r;
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_buf out = MT_BUF_INIT_SECRET, copy = MT_BUF_INIT;
    struct mt_err err = MT_ERR_INIT;

    /* the readers get the bytes exactly as a file read leaves them: NUL-terminated */
    if (mt_buf_add(&copy, data, size) < 0)
        return 0;
    if (mt_sso_token_parse(copy.p ? copy.p : "", size, &t, &err) == 0) {
        (void)mt_sso_token_valid(&t, 1700000000, 900);
        (void)mt_sso_token_can_refresh(&t, 1700000000);
        if (mt_sso_token_render(&t, &out) < 0)
            abort();
        if (mt_sso_token_parse(out.p, out.len, &t2, &err) < 0) {
            fprintf(stderr, "rendered token does not read back\n");
            abort();
        }
        if (!same(t.start_url, t2.start_url) || !same(t.region, t2.region) ||
            !same(t.access_token, t2.access_token) || !same(t.client_id, t2.client_id) ||
            !same(t.client_secret, t2.client_secret) ||
            !same(t.refresh_token, t2.refresh_token)) {
            fprintf(stderr, "token fields changed in a round trip\n");
            abort();
        }
    }
    memset(&r, 0, sizeof(r));
    if (mt_sso_registration_parse(copy.p ? copy.p : "", size, &r, &err) == 0) {
        (void)mt_sso_registration_reusable(&r, 1, 1700000000);
        mt_sso_registration_release(&r);
    }
    if (mt_sso_parse_cli_cache(copy.p ? copy.p : "", size, &c, &err) == 0)
        mt_creds_release(&c);
    mt_sso_token_release(&t);
    mt_sso_token_release(&t2);
    mt_buf_release(&out);
    mt_buf_release(&copy);
    return 0;
}
