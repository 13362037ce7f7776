/* fuzz_creds_process.c - credential_process output (Version 1 JSON) and the command-line
 * splitter (shlex rules) on arbitrary bytes. Properties: never crashes or leaks; parsed
 * credentials always have a key id and a secret free of control characters; a split command line
 * has no NULL holes. See tests/cmake/creds.cmake. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sso/sso_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_buf copy = MT_BUF_INIT;
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_err err = MT_ERR_INIT;
    char **argv = NULL;
    size_t i;

    if (mt_buf_add(&copy, data, size) < 0)
        return 0;
    if (mt_process_parse(copy.p ? copy.p : "", size, &c, &err) == 0) {
        if (!c.access_key_id || !c.secret_access_key || !*c.access_key_id)
            abort();
        for (i = 0; c.secret_access_key[i]; i++)
            if ((unsigned char)c.secret_access_key[i] < 0x20)
                abort();
        mt_creds_release(&c);
    } else if (err.code != MT_E_AUTH && err.code != MT_E_NOMEM) {
        abort();
    }
    if (mt_process_split(mt_buf_str(&copy), &argv) == 0) {
        for (i = 0; argv[i]; i++)
            if (strlen(argv[i]) > size)
                abort();
        mt_process_argv_free(argv);
    }
    mt_buf_release(&copy);
    return 0;
}
