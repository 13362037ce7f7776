/* test_sso.c - the pure parts of sso/: cache names (sso-and-hashes.md worked examples), the
 * tolerant token reader, the AWS CLI's writers, registration reuse rules, PKCE, form encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/timeutil.h"
#include "sso/sso.h"

#define START "https://d-1234567890.awsapps.com/start"

static struct mt_sso_profile prof(const char *session, const char *scopes)
{
    struct mt_sso_profile p;
    memset(&p, 0, sizeof(p));
    p.session_name = (char *)session;
    p.start_url = (char *)START;
    p.region = (char *)"us-east-1";
    p.account_id = (char *)"123456789012";
    p.role_name = (char *)"ReadOnly";
    p.scopes = (char *)scopes;
    return p;
}

static void test_names_match_the_aws_cli(void **state)
{
    struct mt_sso_profile s = prof("my-sso", "sso:account:access"), n = prof("my-sso", NULL),
                          l = prof(NULL, NULL);
    char out[46];
    (void)state;
    assert_int_equal(mt_sso_token_cache_name(&s, out), 0);
    assert_string_equal(out, "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
    assert_int_equal(mt_sso_token_cache_name(&l, out), 0);
    assert_string_equal(out, "7487b5b67d5fa1132cf33fa93ae51ef38cc37752.json");
    assert_int_equal(mt_sso_registration_cache_name(&s, out), 0);
    assert_string_equal(out, "a8343d65418848d0bc13a5f25cbb32508ceec5d1.json");
    assert_int_equal(mt_sso_registration_cache_name(&n, out), 0);
    assert_string_equal(out, "8b2cedd020fb181ad4cf906d1d27b232fd31557e.json");
    assert_int_equal(mt_sso_registration_cache_name(&l, out), 0);
    assert_string_equal(out, "365414a68be7c9bfc776c660981dbdbd942acea4.json");
    assert_int_equal(mt_sso_cli_cache_name(&s, out), 0);
    assert_string_equal(out, "31b260dab331b2af063485cea75f7b8b3cf54c71.json");
    assert_int_equal(mt_sso_cli_cache_name(&l, out), 0);
    assert_string_equal(out, "30bbb2b1278a4c1fb1b943c46c1ef6501807f657.json");
}

static void test_pkce_challenge_vector(void **state)
{
    char ch[44];
    (void)state;
    mt_sso_pkce_challenge("SobLid_tSlsxbim5txlQXE3SD9G_Stc.EdoYezeMyv.9-WpzanInzq92UXQjUSag", ch);
    assert_string_equal(ch, "PNVwmsUEebtF7upOvrSNb4uzwm756MeUuvUbVOsixEc");
}

static void test_form_encode_like_python_urlencode(void **state)
{
    struct mt_buf b = MT_BUF_INIT;
    (void)state;
    assert_int_equal(mt_sso_form_encode(&b, "http://127.0.0.1:8080/oauth/callback"), 0);
    assert_string_equal(b.p, "http%3A%2F%2F127.0.0.1%3A8080%2Foauth%2Fcallback");
    mt_buf_reset(&b);
    assert_int_equal(mt_sso_form_encode(&b, "sso:account:access a~b_c.d-e"), 0);
    assert_string_equal(b.p, "sso%3Aaccount%3Aaccess+a~b_c.d-e");
    mt_buf_release(&b);
}

static const char cli_token[] =
    "{\"startUrl\": \"" START "\", \"region\": \"us-east-1\", \"accessToken\": \"at\", "
    "\"expiresAt\": \"2026-11-22T09:51:00Z\", \"clientId\": \"cid\", \"clientSecret\": \"cs\", "
    "\"registrationExpiresAt\": \"2027-02-20T01:50:59Z\", \"refreshToken\": \"rt\"}";

static void test_token_round_trip_is_byte_exact(void **state)
{
    struct mt_sso_token t = MT_SSO_TOKEN_INIT;
    struct mt_buf b = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    (void)state;
    assert_int_equal(mt_sso_token_parse(cli_token, strlen(cli_token), &t, &err), 0);
    assert_string_equal(t.access_token, "at");
    assert_string_equal(t.refresh_token, "rt");
    assert_int_equal(mt_sso_token_render(&t, &b), 0);
    assert_string_equal(b.p, cli_token);
    assert_true(mt_sso_token_valid(&t, t.expires_at - 901, 900));
    assert_false(mt_sso_token_valid(&t, t.expires_at - 900, 900));
    assert_true(mt_sso_token_can_refresh(&t, t.registration_expires_at - 1));
    assert_false(mt_sso_token_can_refresh(&t, t.registration_expires_at));
    mt_sso_token_release(&t);
    mt_buf_release(&b);
}

static void test_token_reader_is_tolerant(void **state)
{
    static const struct {
        const char *name, *json;
        int rc;
        const char *access, *refresh;
        time_t exp;
    } cases[] = {
        {"pretty js millis",
         "{\n  \"refreshToken\": \"rt\",\n  \"expiresAt\": \"2026-11-22T09:51:00.000Z\",\n"
         "  \"accessToken\": \"at\", \"x\": [1, {}]\n}",
         0, "at", "rt", 1795341060},
         {"offset", "{\"accessToken\":\"at\",\"expiresAt\":\"2026-11-22T09:51:00+00:00\"}\n", 0,
          "at", NULL, 1795341060},
         {"trailing garbage", "{\"accessToken\": \"at\", \"expiresAt\": \"2026-11-22T09:51:00Z\"}"
                              "Z\", \"refreshToken\": \"old\"}",
          0, "at", NULL, 1795341060},
         {"missing final brace", "{\"accessToken\": \"at\", \"refreshToken\": \"rt\"", 0, "at",
          "rt", 0},
         {"wrong types", "{\"accessToken\": 5, \"expiresAt\": [], \"refreshToken\": \"rt\"}", 0,
          NULL, "rt", 0},
         {"truncated", "{\"accessToken\": \"a", -1, NULL, NULL, 0},
         {"array", "[]", -1, NULL, NULL, 0},
         {"empty", "", -1, NULL, NULL, 0},
         {"garbage", "\x01\x02{", -1, NULL, NULL, 0},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_sso_token t = MT_SSO_TOKEN_INIT;
        struct mt_err err = MT_ERR_INIT;
        int rc = mt_sso_token_parse(cases[i].json, strlen(cases[i].json), &t, &err);
        print_message("%s\n", cases[i].name);
        assert_int_equal(rc, cases[i].rc);
        if (rc == 0) {
            if (cases[i].access)
                assert_string_equal(t.access_token, cases[i].access);
            else
                assert_null(t.access_token);
            if (cases[i].refresh)
                assert_string_equal(t.refresh_token, cases[i].refresh);
            else
                assert_null(t.refresh_token);
            assert_int_equal(t.expires_at, cases[i].exp);
        }
        mt_sso_token_release(&t);
    }
}

static void test_scopes_parse(void **state)
{
    struct mt_sso_scopes s;
    (void)state;
    assert_int_equal(mt_sso_scopes_parse(" a , ,b,", &s), 0);
    assert_true(s.configured);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.v[0], "a");
    assert_string_equal(s.v[1], "b");
    mt_sso_scopes_release(&s);
    assert_int_equal(mt_sso_scopes_parse(NULL, &s), 0);
    assert_false(s.configured);
    assert_int_equal(s.n, 0);
}

static void test_registration_formats_and_reuse(void **state)
{
    struct mt_sso_registration r = {0}, back = {0};
    struct mt_sso_scopes s;
    struct mt_buf b = MT_BUF_INIT_SECRET;
    struct mt_err err = MT_ERR_INIT;
    time_t exp;
    (void)state;
    assert_int_equal(mt_time_parse_iso8601("2027-02-20T01:51:38Z", &exp), 0);
    r.client_id = (char *)"c";
    r.client_secret = (char *)"s";
    r.expires_at = exp;
    assert_int_equal(mt_sso_scopes_parse("sso:account:access", &s), 0);
    assert_int_equal(mt_sso_registration_render(&r, &s, 0, &b), 0);
    assert_string_equal(b.p, "{\"clientId\": \"c\", \"clientSecret\": \"s\", \"expiresAt\": "
                             "\"2027-02-20T01:51:38Z\", \"scopes\": [\"sso:account:access\"]}");
    assert_int_equal(mt_sso_registration_parse(b.p, b.len, &back, &err), 0);
    assert_false(back.auth_code);
    assert_true(mt_sso_registration_reusable(&back, 0, exp - 901));
    assert_false(mt_sso_registration_reusable(&back, 0, exp - 900)); /* within 15 min */
    assert_false(mt_sso_registration_reusable(&back, 1, exp - 901)); /* wrong kind */
    mt_sso_registration_release(&back);
    mt_buf_reset(&b);
    assert_int_equal(mt_sso_registration_render(&r, &s, 1, &b), 0);
    assert_string_equal(b.p, "{\"clientId\": \"c\", \"clientSecret\": \"s\", \"expiresAt\": "
                             "\"2027-02-20T01:51:38Z\", \"scopes\": [\"sso:account:access\"], "
                             "\"grantTypes\": [\"authorization_code\", \"refresh_token\"]}");
    assert_int_equal(mt_sso_registration_parse(b.p, b.len, &back, &err), 0);
    assert_true(back.auth_code);
    assert_true(mt_sso_registration_reusable(&back, 1, exp - 901));
    assert_false(mt_sso_registration_reusable(&back, 0, exp - 901));
    mt_sso_registration_release(&back);
    mt_buf_reset(&b);
    assert_int_equal(mt_sso_registration_render(&r, NULL, 0, &b), 0);
    assert_string_equal(b.p, "{\"clientId\": \"c\", \"clientSecret\": \"s\", \"expiresAt\": "
                             "\"2027-02-20T01:51:38Z\"}");
    assert_int_equal(mt_sso_registration_parse("{\"clientId\": \"c\"}", 16, &back, &err), -1);
    mt_sso_scopes_release(&s);
    mt_buf_release(&b);
}

static void test_cli_cache_render(void **state)
{
    struct mt_creds c = MT_CREDS_INIT;
    struct mt_buf b = MT_BUF_INIT_SECRET;
    (void)state;
    c.access_key_id = (char *)"ASIA";
    c.secret_access_key = (char *)"sk";
    c.session_token = (char *)"st";
    c.account_id = (char *)"123456789012";
    assert_int_equal(mt_time_parse_iso8601("2026-11-22T02:51:09Z", &c.expiration), 0);
    assert_int_equal(mt_sso_render_cli_cache(&c, &b), 0);
    assert_string_equal(b.p, "{\"ProviderType\": \"sso\", \"Credentials\": {\"AccessKeyId\": "
                             "\"ASIA\", \"SecretAccessKey\": \"sk\", \"SessionToken\": \"st\", "
                             "\"Expiration\": \"2026-11-22T02:51:09Z\", \"AccountId\": "
                             "\"123456789012\"}}");
    mt_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_match_the_aws_cli),
        cmocka_unit_test(test_pkce_challenge_vector),
        cmocka_unit_test(test_form_encode_like_python_urlencode),
        cmocka_unit_test(test_token_round_trip_is_byte_exact),
        cmocka_unit_test(test_token_reader_is_tolerant),
        cmocka_unit_test(test_scopes_parse),
        cmocka_unit_test(test_registration_formats_and_reuse),
        cmocka_unit_test(test_cli_cache_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
