/* test_endpoint.c - endpoint resolution: defaults and the override precedence of aws-wire.md 5.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/endpoint.h"

struct ecase {
    const char *name;
    struct mt_endpoint_in in;
    const char *want;     /* NULL: error */
    enum mt_errc want_err;
};

#define LOCAL "http://127.0.0.1:4566"

static const struct ecase cases[] = {
    /* defaults */
    {"kms default", {.service = "kms", .region = "eu-west-1"}, "https://kms.eu-west-1.amazonaws.com",
     0},
    {"secrets manager default", {.service = "secrets_manager", .region = "us-east-1"},
     "https://secretsmanager.us-east-1.amazonaws.com", 0},
    {"secretsmanager spelling", {.service = "secretsmanager", .region = "us-east-1"},
     "https://secretsmanager.us-east-1.amazonaws.com", 0},
    {"Secrets Manager spelling", {.service = "Secrets Manager", .region = "us-east-1"},
     "https://secretsmanager.us-east-1.amazonaws.com", 0},
    {"sts regional", {.service = "sts", .region = "eu-central-1"},
     "https://sts.eu-central-1.amazonaws.com", 0},
    {"sts us-east-1 regional", {.service = "sts", .region = "us-east-1"},
     "https://sts.us-east-1.amazonaws.com", 0},
    {"sts aws-global", {.service = "sts", .region = "aws-global"}, "https://sts.amazonaws.com", 0},
    {"sso portal", {.service = "sso", .region = "eu-west-1"},
     "https://portal.sso.eu-west-1.amazonaws.com", 0},
    {"sso oidc", {.service = "sso_oidc", .region = "eu-west-1"},
     "https://oidc.eu-west-1.amazonaws.com", 0},
    {"sso-oidc spelling", {.service = "sso-oidc", .region = "ap-south-1"},
     "https://oidc.ap-south-1.amazonaws.com", 0},
    {"rds", {.service = "rds", .region = "us-west-2"}, "https://rds.us-west-2.amazonaws.com", 0},
    {"china kms", {.service = "kms", .region = "cn-north-1"},
     "https://kms.cn-north-1.amazonaws.com.cn", 0},
    {"china sts", {.service = "sts", .region = "cn-northwest-1"},
     "https://sts.cn-northwest-1.amazonaws.com.cn", 0},
    {"govcloud", {.service = "kms", .region = "us-gov-west-1"},
     "https://kms.us-gov-west-1.amazonaws.com", 0},

    /* precedence */
    {"explicit beats all",
     {.service = "kms", .region = "eu-west-1", .explicit_url = "https://a.example",
      .env_service_url = "https://b.example", .env_url = "https://c.example",
      .services_url = "https://d.example", .profile_url = "https://e.example"},
     "https://a.example", 0},
    {"service env beats global env",
     {.service = "kms", .region = "eu-west-1", .env_service_url = "https://b.example",
      .env_url = "https://c.example", .services_url = "https://d.example",
      .profile_url = "https://e.example"},
     "https://b.example", 0},
    {"global env beats services",
     {.service = "kms", .region = "eu-west-1", .env_url = "https://c.example",
      .services_url = "https://d.example", .profile_url = "https://e.example"},
     "https://c.example", 0},
    {"services beats profile",
     {.service = "kms", .region = "eu-west-1", .services_url = "https://d.example",
      .profile_url = "https://e.example"},
     "https://d.example", 0},
    {"profile endpoint_url", {.service = "sts", .region = "eu-west-1", .profile_url = LOCAL},
     LOCAL, 0},
    {"empty strings are unset",
     {.service = "kms", .region = "eu-west-1", .explicit_url = "", .env_service_url = "",
      .env_url = "", .services_url = "", .profile_url = "https://e.example"},
     "https://e.example", 0},
    {"override needs no region", {.service = "kms", .env_url = LOCAL}, LOCAL, 0},
    {"trailing slash removed", {.service = "kms", .env_url = "http://localhost:4566//"},
     "http://localhost:4566", 0},
    {"path prefix kept", {.service = "sso", .env_url = "https://proxy.example/aws/sso/"},
     "https://proxy.example/aws/sso", 0},

    /* ignore_configured_endpoint_urls */
    {"env ignore=true",
     {.service = "kms", .region = "eu-west-1", .env_service_url = LOCAL, .env_url = LOCAL,
      .services_url = LOCAL, .profile_url = LOCAL, .env_ignore = "true"},
     "https://kms.eu-west-1.amazonaws.com", 0},
    {"env ignore=TRUE",
     {.service = "kms", .region = "eu-west-1", .env_url = LOCAL, .env_ignore = "TRUE"},
     "https://kms.eu-west-1.amazonaws.com", 0},
    {"ignore keeps the explicit url",
     {.service = "kms", .region = "eu-west-1", .explicit_url = "https://a.example",
      .env_ignore = "true"},
     "https://a.example", 0},
    {"profile ignore",
     {.service = "kms", .region = "eu-west-1", .profile_url = LOCAL, .profile_ignore = "true"},
     "https://kms.eu-west-1.amazonaws.com", 0},
    {"env false overrides profile true",
     {.service = "kms", .region = "eu-west-1", .profile_url = LOCAL, .env_ignore = "false",
      .profile_ignore = "true"},
     LOCAL, 0},
    {"env other value is false",
     {.service = "kms", .region = "eu-west-1", .env_url = LOCAL, .env_ignore = "1"}, LOCAL, 0},

    /* errors */
    {"unknown service", {.service = "s3", .region = "eu-west-1"}, NULL, MT_E_USAGE},
    {"no service", {.region = "eu-west-1"}, NULL, MT_E_USAGE},
    {"no region", {.service = "kms"}, NULL, MT_E_CONFIG},
    {"bad region", {.service = "kms", .region = "evil.com/x"}, NULL, MT_E_CONFIG},
    {"upper-case region", {.service = "kms", .region = "EU-WEST-1"}, NULL, MT_E_CONFIG},
    {"bad scheme", {.service = "kms", .env_url = "ftp://x"}, NULL, MT_E_CONFIG},
    {"no host", {.service = "kms", .env_url = "https://"}, NULL, MT_E_CONFIG},
    {"user info", {.service = "kms", .env_url = "https://u:p@host"}, NULL, MT_E_CONFIG},
    {"query", {.service = "kms", .env_url = "https://host/?a=b"}, NULL, MT_E_CONFIG},
    {"space", {.service = "kms", .env_url = "https://ho st"}, NULL, MT_E_CONFIG},
    {"no scheme", {.service = "kms", .profile_url = "localhost:4566"}, NULL, MT_E_CONFIG},
};

static void test_endpoint_resolve_table(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_err e = MT_ERR_INIT;
        char *got = mt_endpoint_resolve(&cases[i].in, &e);
        if (cases[i].want) {
            if (!got || strcmp(got, cases[i].want))
                fail_msg("%s: got '%s' (%s) want '%s'", cases[i].name, got ? got : "(null)",
                         e.msg, cases[i].want);
        } else {
            if (got || e.code != cases[i].want_err)
                fail_msg("%s: got '%s' code %d want error %d", cases[i].name,
                         got ? got : "(null)", e.code, cases[i].want_err);
            assert_true(e.msg[0] != '\0');
        }
        free(got);
    }
}

static void test_endpoint_error_names_source(void **state)
{
    struct mt_endpoint_in in = {.service = "secrets_manager", .env_service_url = "bogus"};
    struct mt_err e = MT_ERR_INIT;
    (void)state;
    assert_null(mt_endpoint_resolve(&in, &e));
    assert_non_null(strstr(e.msg, "AWS_ENDPOINT_URL_SECRETS_MANAGER"));
    assert_non_null(strstr(e.msg, "'bogus'"));
    assert_null(mt_endpoint_resolve(NULL, &e));
}

static void test_endpoint_env_names(void **state)
{
    static const struct {
        const char *svc, *env, *id;
    } t[] = {
        {"kms", "AWS_ENDPOINT_URL_KMS", "kms"},
        {"secrets_manager", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secrets_manager"},
        {"secretsmanager", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secrets_manager"},
        {"Secrets Manager", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secrets_manager"},
        {"sts", "AWS_ENDPOINT_URL_STS", "sts"},
        {"STS", "AWS_ENDPOINT_URL_STS", "sts"},
        {"sso", "AWS_ENDPOINT_URL_SSO", "sso"},
        {"sso_oidc", "AWS_ENDPOINT_URL_SSO_OIDC", "sso_oidc"},
        {"SSO OIDC", "AWS_ENDPOINT_URL_SSO_OIDC", "sso_oidc"},
        {"rds", "AWS_ENDPOINT_URL_RDS", "rds"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        assert_string_equal(mt_endpoint_env_name(t[i].svc), t[i].env);
        assert_string_equal(mt_endpoint_service_id(t[i].svc), t[i].id);
    }
    assert_null(mt_endpoint_env_name("s3"));
    assert_null(mt_endpoint_env_name(""));
    assert_null(mt_endpoint_env_name(NULL));
    assert_null(mt_endpoint_service_id("a-very-long-service-name-that-is-unknown-anyway"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_resolve_table),
        cmocka_unit_test(test_endpoint_error_names_source),
        cmocka_unit_test(test_endpoint_env_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
