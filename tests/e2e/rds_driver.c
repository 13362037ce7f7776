/* rds_driver.c - drives kms/rds.c (mt_rds_describe) for tests/e2e/test_doctor.py.
 *
 * usage: rds_driver instance|cluster|proxy
 * Environment: MT_RDS_ENDPOINT (base URL), MT_RDS_REGION, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional). Output: one line per resource,
 * "id=.. arn=.. resource_id=.. engine=.. address=.. reader=.. port=N iam=N status=..", then "ok"
 * or "error exit=X type=T msg=M". Exit status: mt_err_exit_code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "kms/rds.h"

static const char *s(const char *v)
{
    return v ? v : "-";
}

int main(int argc, char **argv)
{
    struct mt_kms_client c;
    struct mt_rds_list l = MT_RDS_LIST_INIT;
    struct mt_err err;
    enum mt_rds_kind kind;
    size_t i;
    int rc;

    mt_err_clear(&err);
    if (argc != 2)
        return 2;
    if (!strcmp(argv[1], "instance"))
        kind = MT_RDS_INSTANCE;
    else if (!strcmp(argv[1], "cluster"))
        kind = MT_RDS_CLUSTER;
    else if (!strcmp(argv[1], "proxy"))
        kind = MT_RDS_PROXY;
    else
        return 2;
    memset(&c, 0, sizeof(c));
    c.http = mt_http_new(&err);
    if (!c.http)
        return 1;
    c.endpoint = getenv("MT_RDS_ENDPOINT");
    c.region = getenv("MT_RDS_REGION");
    c.creds.access_key_id = getenv("AWS_ACCESS_KEY_ID");
    c.creds.secret_access_key = getenv("AWS_SECRET_ACCESS_KEY");
    c.creds.session_token = getenv("AWS_SESSION_TOKEN");
    rc = mt_rds_describe(&c, kind, &l, &err);
    for (i = 0; i < l.n; i++) {
        const struct mt_rds_db *d = &l.v[i];
        printf("id=%s arn=%s resource_id=%s engine=%s address=%s reader=%s port=%d iam=%d "
               "status=%s\n",
               s(d->id), s(d->arn), s(d->resource_id), s(d->engine), s(d->address),
               s(d->reader_address), d->port, d->iam_auth, s(d->status));
    }
    if (rc < 0)
        printf("error exit=%d type=%s msg=%s\n", mt_err_exit_code(&err), err.aws_type, err.msg);
    else
        printf("ok\n");
    mt_rds_list_release(&l);
    mt_http_free(c.http);
    return rc < 0 ? mt_err_exit_code(&err) : 0;
}
