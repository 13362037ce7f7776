/* fuzz_rds_describe.c - the RDS describe-answer parser (kms/rds.c on common/awserr.c's XML element
 * iterator) on arbitrary bytes, as each of the three answer kinds. Properties: never crashes or
 * leaks; every entry has an identifier, ARN or address; ports are 0..65535; iam_auth is -1, 0 or
 * 1; the marker is a C string within its buffer; finding an entry by its own address finds an
 * entry with that address. See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kms/rds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int k;

    for (k = MT_RDS_INSTANCE; k <= MT_RDS_PROXY; k++) {
        struct mt_rds_list l = MT_RDS_LIST_INIT;
        struct mt_err err;
        char marker[64];
        size_t i;

        mt_err_clear(&err);
        memset(marker, 'x', sizeof(marker));
        if (mt_rds_parse_describe((const char *)data, size, (enum mt_rds_kind)k, &l, marker,
                                  sizeof(marker), &err) < 0 &&
            err.code != MT_E_AWS && err.code != MT_E_NOMEM)
            abort();
        if (!memchr(marker, '\0', sizeof(marker)))
            abort();
        for (i = 0; i < l.n; i++) {
            const struct mt_rds_db *d = &l.v[i], *f;
            if (!d->id && !d->arn && !d->address)
                abort();
            if (d->port < 0 || d->port > 65535 || d->iam_auth < -1 || d->iam_auth > 1 ||
                d->kind != (enum mt_rds_kind)k)
                abort();
            if (d->address) {
                f = mt_rds_find_host(&l, d->address);
                if (!f || ((!f->address || strcasecmp(f->address, d->address)) &&
                           (!f->reader_address || strcasecmp(f->reader_address, d->address))))
                    abort();
            }
        }
        mt_rds_list_release(&l);
    }
    return 0;
}
