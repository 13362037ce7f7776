/* fuzz_sts_xml.c - STS answers (AssumeRole / AssumeRoleWithWebIdentity credentials and
 * GetCallerIdentity) through common/awserr.c's XML reader. Properties: never crashes or leaks;
 * accepted credentials have all three strings and an expiry. See tests/cmake/creds.cmake. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sso/sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_buf copy = MT_BUF_INIT;
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_err err = MT_ERR_INIT;
    struct mt_sts_user u;
    struct mt_sts_identity id;

    if (mt_buf_add(&copy, data, size) < 0)
        return 0;
    if (mt_sts_parse_credentials(copy.p ? copy.p : "", size, &c, &u, &err) == 0) {
        if (!c.access_key_id || !c.secret_access_key || !c.session_token || !c.expiration)
            abort();
        mt_creds_release(&c);
    }
    if (mt_sts_parse_identity(copy.p ? copy.p : "", size, &id, &err) == 0 &&
        (!id.account[0] || !id.arn[0]))
        abort();
    mt_buf_release(&copy);
    return 0;
}
