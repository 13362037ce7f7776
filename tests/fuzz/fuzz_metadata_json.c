/* fuzz_metadata_json.c - container-credential and IMDS credential JSON on arbitrary bytes.
 * Properties: never crashes or leaks; accepted credentials carry a key id, secret, token and an
 * expiry. See tests/cmake/creds.cmake. */
#include <stdint.h>
#include <stdlib.h>

#include "common/buf.h"
#include "sso/sso_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_buf copy = MT_BUF_INIT;
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_err err = MT_ERR_INIT;

    if (mt_buf_add(&copy, data, size) < 0)
        return 0;
    if (mt_metadata_creds_parse(copy.p ? copy.p : "", size, "fuzz", &c, &err) == 0) {
        if (!c.access_key_id || !c.secret_access_key || !c.session_token || !c.expiration)
            abort();
        mt_creds_release(&c);
    } else if (err.code != MT_E_AUTH && err.code != MT_E_NOMEM) {
        abort();
    }
    mt_buf_release(&copy);
    return 0;
}
