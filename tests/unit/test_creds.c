/* test_creds.c - the pure parts of the credential providers: the AWS CLI's assume-role cache name
 * (aws-wire.md 10.1 worked example), its file format read back by the CLI-cache reader, the
 * credential_process splitter (expected argv produced by Python's shlex.split, which botocore
 * uses), Version 1 JSON, STS XML with entities, the HTTP Date parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/timeutil.h"
#include "sso/sso_int.h"
#include "sso/sts.h"

static void test_assume_cache_name_matches_the_aws_cli(void **state)
{
    char out[46];
    (void)state;
    /* aws-wire.md 10.1: {"RoleArn": "arn:aws:iam::123456789012:role/Admin"} */
    assert_int_equal(mt_assume_cache_name("arn:aws:iam::123456789012:role/Admin", NULL, NULL, NULL,
                                          0, out), 0);
    assert_string_equal(out, "51e7b105b5040ce662656c8dc6ab4de70c4de7ad.json");
}

static void test_cache_file_reads_back(void **state)
{
    struct mt_creds c = MT_CREDS_INIT, back = MT_CREDS_INIT;
    struct mt_buf b = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    c.access_key_id = (char *)"ASIAEXAMPLE";
    c.secret_access_key = (char *)"se\"cret/+";
    c.session_token = (char *)"tok";
    c.expiration = 1796000000;
    assert_int_equal(mt_assume_cache_render(&c, "arn:aws:sts::1:assumed-role/R/s", "AROA:s", &b), 0);
    assert_int_equal(mt_sso_parse_cli_cache(b.p, b.len, &back, &err), 0);
    assert_string_equal(back.access_key_id, "ASIAEXAMPLE");
    assert_string_equal(back.secret_access_key, "se\"cret/+");
    assert_string_equal(back.session_token, "tok");
    assert_int_equal(back.expiration, 1796000000);
    mt_creds_release(&back);
    mt_buf_release(&b);
}

static void split_is(const char *line, const char *const *want)
{
    char **argv = NULL;
    size_t i;
    assert_int_equal(mt_process_split(line, &argv), 0);
    for (i = 0; want[i]; i++) {
        assert_non_null(argv[i]);
        assert_string_equal(argv[i], want[i]);
    }
    assert_null(argv[i]);
    mt_process_argv_free(argv);
}

static void test_split_like_shlex(void **state)
{
    static const char *const a[] = {"/opt/my tools/get", "--role", "a b", "x\"y", NULL};
    static const char *const b[] = {"/path with space/bin", "-a", NULL};
    static const char *const c[] = {"abc", "", "\\n", NULL};
    static const char *const d[] = {"cmd", "arg", NULL};
    char **argv = NULL;
    (void)state;
    split_is("/opt/my\\ tools/get --role 'a b' \"x\\\"y\"", a);
    split_is("\"/path with space/bin\" -a", b);
    split_is("a\"b\"'c' '' \"\\n\"", c);
    split_is("cmd  \t arg", d);
    assert_int_equal(mt_process_split("\"unterminated", &argv), -1);
    assert_int_equal(mt_process_split("trailing\\", &argv), -1);
}

static void test_process_json(void **state)
{
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_err err = MT_ERR_INIT;
    const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"S\", "
                     "\"Expiration\": \"2026-12-01T18:00:00Z\"}";
    const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"S\"}";
    time_t t;
    (void)state;
    assert_int_equal(mt_process_parse(ok, strlen(ok), &c, &err), 0);
    assert_int_equal(mt_time_parse_iso8601("2026-12-01T18:00:00Z", &t), 0);
    assert_int_equal(c.expiration, t);
    assert_null(c.session_token);
    mt_creds_release(&c);
    assert_int_equal(mt_process_parse(v2, strlen(v2), &c, &err), -1);
    assert_int_equal(err.code, MT_E_AUTH);
    assert_null(strstr(err.msg, "AKID"));
}

static void test_sts_xml_decodes_entities(void **state)
{
    const char *xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials>"
                      "<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>a&amp;b&#x2F;c</SecretAccessKey>"
                      "<SessionToken>t&lt;1&gt;</SessionToken><Expiration>2026-12-01T18:00:00Z"
                      "</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:s"
                      "</AssumedRoleId><Arn>arn:aws:sts::123456789012:assumed-role/R/s</Arn>"
                      "</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>";
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_sts_user u;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    assert_int_equal(mt_sts_parse_credentials(xml, strlen(xml), &c, &u, &err), 0);
    assert_string_equal(c.secret_access_key, "a&b/c");
    assert_string_equal(c.session_token, "t<1>");
    assert_string_equal(c.account_id, "123456789012");
    assert_string_equal(u.id, "AROA:s");
    mt_creds_release(&c);
}

static void test_http_date(void **state)
{
    time_t t;
    (void)state;
    assert_int_equal(mt_time_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
    assert_int_equal(t, 784111777); /* RFC 7231's example, date -d @784111777 */
    assert_int_equal(mt_time_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assume_cache_name_matches_the_aws_cli),
        cmocka_unit_test(test_cache_file_reads_back),
        cmocka_unit_test(test_split_like_shlex),
        cmocka_unit_test(test_process_json),
        cmocka_unit_test(test_sts_xml_decodes_entities),
        cmocka_unit_test(test_http_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
