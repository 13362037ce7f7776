/* test_aws_ini.c - ~/.aws/config and ~/.aws/credentials parsing (config/aws_ini.c) and the
 * load.c edge for INI files and AWS paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/aws_ini.h"
#include "config/config.h"

static struct mt_ini *parse_ok(const char *text, enum mt_ini_kind kind)
{
    struct mt_ini *ini = NULL;
    struct mt_err err = MT_ERR_INIT;

    if (mt_ini_parse(text, strlen(text), "cfg", kind, &ini, &err) < 0)
        fail_msg("parse failed: %s", err.msg);
    return ini;
}

static void test_ini_basic(void **state)
{
    static const char text[] = "# comment\n"
                               "; another\n"
                               "[default]\n"
                               "region = us-east-1\n"
                               "output=json\n"
                               "\n"
                               "[profile dev]\r\n"
                               "  Region   =   eu-west-1   \r\n"
                               "AWS_Access_Key_ID = AKIA\n"
                               "sso_session: corp\n"
                               "endpoint_url = http://x/#frag\n"
                               "ca_bundle = /a;b  ; trailing comment\n"
                               "role_arn = arn:aws:iam::1:role/x # comment\n"
                               "empty =\n"
                               "[sso-session corp]\n"
                               "sso_start_url = https://d-123.awsapps.com/start\n"
                               "sso_region = us-east-1\n"
                               "[services local]\n"
                               "kms =\n"
                               "  endpoint_url = http://127.0.0.1:4566\n"
                               "  # nested comment\n"
                               "\n"
                               "  Region = local-1 ; c\n"
                               "sts =\n"
                               "  endpoint_url = http://127.0.0.1:4567\n";
    struct mt_ini *ini = parse_ok(text, MT_INI_CONFIG);
    const struct mt_ini_section *s;
    (void)state;

    s = mt_ini_profile(ini, "default");
    assert_non_null(s);
    assert_int_equal(mt_ini_line(s), 3);
    assert_string_equal(mt_ini_get(s, "region"), "us-east-1");
    assert_string_equal(mt_ini_get(s, "output"), "json");

    s = mt_ini_profile(ini, "dev");
    assert_non_null(s);
    assert_string_equal(mt_ini_section_type(s), "profile");
    assert_string_equal(mt_ini_section_name(s), "dev");
    assert_string_equal(mt_ini_get(s, "region"), "eu-west-1");
    assert_string_equal(mt_ini_get(s, "REGION"), "eu-west-1");
    assert_string_equal(mt_ini_get(s, "aws_access_key_id"), "AKIA");
    assert_string_equal(mt_ini_get(s, "sso_session"), "corp");
    assert_string_equal(mt_ini_get(s, "endpoint_url"), "http://x/#frag");
    assert_string_equal(mt_ini_get(s, "ca_bundle"), "/a;b");
    assert_string_equal(mt_ini_get(s, "role_arn"), "arn:aws:iam::1:role/x");
    assert_string_equal(mt_ini_get(s, "empty"), "");
    assert_null(mt_ini_get(s, "missing"));
    assert_int_equal(mt_ini_key_line(s, "region"), 8);

    s = mt_ini_section(ini, "sso-session", "corp");
    assert_non_null(s);
    assert_string_equal(mt_ini_get(s, "sso_region"), "us-east-1");
    assert_null(mt_ini_profile(ini, "corp"));

    s = mt_ini_section(ini, "services", "local");
    assert_non_null(s);
    assert_string_equal(mt_ini_get(s, "kms"), "");
    assert_string_equal(mt_ini_get_sub(s, "kms", "endpoint_url"), "http://127.0.0.1:4566");
    assert_string_equal(mt_ini_get_sub(s, "KMS", "region"), "local-1");
    assert_string_equal(mt_ini_get_sub(s, "sts", "endpoint_url"), "http://127.0.0.1:4567");
    assert_null(mt_ini_get_sub(s, "sts", "region"));
    assert_null(mt_ini_get_sub(s, "nope", "region"));

    assert_int_equal(mt_ini_profile_count(ini), 2);
    assert_string_equal(mt_ini_profile_name(ini, 0), "default");
    assert_string_equal(mt_ini_profile_name(ini, 1), "dev");
    assert_null(mt_ini_profile_name(ini, 2));
    mt_ini_free(ini);
    mt_ini_free(NULL);
}

static void test_ini_section_names(void **state)
{
    static const char text[] = "[profile \"quoted name\"]\na = 1\n"
                               "[profile 'single q']\na = 2\n"
                               "[profile   spaced]\na = 3\n"
                               "[profile   a   b]\na = 4\n"
                               "[profilefoo]\na = 5\n"
                               "[bare]\na = 6\n"
                               "[profile \"unbalanced]\na = 7\n"
                               "[ profile trimmed ]  # comment\na = 8\n"
                               "[profile esc\\ aped]\na = 9\n"
                               "[profile \"\"]\na = 10\n"
                               "[custom thing]\na = 11\n";
    struct mt_ini *ini = parse_ok(text, MT_INI_CONFIG);
    const struct mt_ini_section *s;
    (void)state;

    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "quoted name"), "a"), "1");
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "single q"), "a"), "2");
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "spaced"), "a"), "3");
    assert_null(mt_ini_profile(ini, "a"));
    assert_null(mt_ini_profile(ini, "a   b"));
    assert_null(mt_ini_profile(ini, "foo"));
    assert_null(mt_ini_profile(ini, "profilefoo"));
    assert_null(mt_ini_profile(ini, "bare")); /* a bare [name] is not a profile */
    s = mt_ini_section(ini, "", "bare");
    assert_non_null(s);
    assert_string_equal(mt_ini_get(s, "a"), "6");
    assert_null(mt_ini_profile(ini, "\"unbalanced"));
    assert_null(mt_ini_profile(ini, "unbalanced"));
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "trimmed"), "a"), "8");
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "esc aped"), "a"), "9");
    assert_null(mt_ini_profile(ini, ""));
    assert_string_equal(mt_ini_get(mt_ini_section(ini, "custom", "thing"), "a"), "11");
    assert_int_equal(mt_ini_profile_count(ini), 5);
    mt_ini_free(ini);
}

static void test_ini_default_precedence(void **state)
{
    static const char both[] = "[profile default]\nregion = explicit\n"
                               "[default]\nregion = bare\noutput = json\n";
    static const char bare_only[] = "[default]\nregion = bare\n";
    struct mt_ini *ini = parse_ok(both, MT_INI_CONFIG);
    const struct mt_ini_section *s;
    (void)state;

    /* [profile default] wins entirely, whatever the order (go, js3) */
    s = mt_ini_profile(ini, "default");
    assert_string_equal(mt_ini_get(s, "region"), "explicit");
    assert_null(mt_ini_get(s, "output"));
    assert_int_equal(mt_ini_profile_count(ini), 1);
    mt_ini_free(ini);

    ini = parse_ok(bare_only, MT_INI_CONFIG);
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "default"), "region"), "bare");
    assert_string_equal(mt_ini_get(mt_ini_section(ini, "profile", "default"), "region"), "bare");
    mt_ini_free(ini);
}

static void test_ini_merge_and_continuation(void **state)
{
    static const char text[] = "[profile a]\nregion = r\n"
                               "[profile b]\nregion = rb\n"
                               "[profile a]\noutput = json\n"
                               "long = first\n  second\n\tthird ; c\n";
    struct mt_ini *ini = parse_ok(text, MT_INI_CONFIG);
    const struct mt_ini_section *s = mt_ini_profile(ini, "a");
    const char *k, *v;
    (void)state;

    assert_string_equal(mt_ini_get(s, "region"), "r");
    assert_string_equal(mt_ini_get(s, "output"), "json");
    assert_string_equal(mt_ini_get(s, "long"), "first\nsecond\nthird");
    assert_int_equal(mt_ini_line(s), 1);
    assert_int_equal(mt_ini_entry(s, 0, &k, &v), 0);
    assert_string_equal(k, "region");
    assert_int_equal(mt_ini_entry(s, 3, &k, &v), -1);
    assert_int_equal(mt_ini_profile_count(ini), 2);
    mt_ini_free(ini);
}

static void test_ini_credentials(void **state)
{
    static const char text[] = "[default]\naws_access_key_id = A\n"
                               "[dev]\naws_access_key_id = B\naws_secret_access_key = S\n"
                               "[profile prod]\naws_access_key_id = C\n";
    struct mt_ini *ini = parse_ok(text, MT_INI_CREDENTIALS);
    (void)state;

    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "default"), "aws_access_key_id"), "A");
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "dev"), "aws_secret_access_key"), "S");
    assert_null(mt_ini_profile(ini, "prod"));
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "profile prod"), "aws_access_key_id"),
                        "C");
    assert_int_equal(mt_ini_profile_count(ini), 3);
    mt_ini_free(ini);
}

static void test_ini_empty(void **state)
{
    static const char *const texts[] = {"", "\n\n", "# only\n; comments\n", "   \n"};
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct mt_ini *ini = parse_ok(texts[i], MT_INI_CONFIG);
        assert_int_equal(mt_ini_profile_count(ini), 0);
        assert_null(mt_ini_profile(ini, "default"));
        mt_ini_free(ini);
    }
}

static void test_ini_errors(void **state)
{
    static const struct {
        const char *name, *text, *msg;
        enum mt_ini_kind kind;
    } cases[] = {
        {"neither", "[default]\nregion = a\njunk line\n",
         "cfg:3: expected '[section]' or 'key = value'", MT_INI_CONFIG},
        {"key before section", "region = a\n", "cfg:1: 'region' is outside any section",
         MT_INI_CONFIG},
        {"duplicate key", "[profile x]\nregion = a\nRegion = b\n",
         "cfg:3: duplicate key 'region' in [profile x] (first at line 2)", MT_INI_CONFIG},
        {"duplicate key across merged sections", "[profile x]\nregion = a\n[y]\n[profile x]\nregion = b\n",
         "cfg:5: duplicate key 'region' in [profile x] (first at line 2)", MT_INI_CONFIG},
        {"duplicate key in a big section (a hash table, not a scan)",
         "[big]\nk1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\nk5 = 5\nk6 = 6\nk7 = 7\nk8 = 8\nk9 = 9\n"
         "k10 = 10\nK2 = again\n",
         "cfg:12: duplicate key 'k2' in [big] (first at line 3)", MT_INI_CREDENTIALS},
        {"duplicate key just past the scan size", "[big]\nk1 = 1\nk2 = 2\nk3 = 3\nk4 = 4\n"
         "k5 = 5\nk6 = 6\nk7 = 7\nk8 = 8\nK8 = 9\n",
         "cfg:10: duplicate key 'k8' in [big] (first at line 9)", MT_INI_CREDENTIALS},
        {"duplicate key in credentials", "[dev]\naws_access_key_id = A\naws_access_key_id = B\n",
         "cfg:3: duplicate key 'aws_access_key_id' in [dev] (first at line 2)",
         MT_INI_CREDENTIALS},
        {"duplicate nested key", "[services s]\nkms =\n  endpoint_url = a\n  endpoint_url = b\n",
         "cfg:4: duplicate key 'kms.endpoint_url' in [services s] (first at line 3)",
         MT_INI_CONFIG},
        {"nested not k=v", "[services s]\nkms =\n  endpoint_url\n",
         "cfg:3: expected 'key = value' in the block of 'kms'", MT_INI_CONFIG},
        {"empty key", "[default]\n = x\n", "cfg:2: empty key before '='", MT_INI_CONFIG},
        {"unclosed header", "[default\n", "cfg:1: section header without ']'", MT_INI_CONFIG},
        {"text after header", "[default] x\n", "cfg:1: unexpected text after the section header",
         MT_INI_CONFIG},
        {"empty header", "[  ]\n", "cfg:1: empty section header", MT_INI_CONFIG},
        {"NUL byte", "[default]\nregion = a\0b\n", "cfg:2: NUL byte in line", MT_INI_CONFIG},
        {"duplicate in ignored section", "[profile a b]\nk = 1\nk = 2\n",
         "cfg:3: duplicate key 'k' in [profile a b] (first at line 2)", MT_INI_CONFIG},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mt_ini *ini = (struct mt_ini *)1;
        struct mt_err err = MT_ERR_INIT;
        size_t len = strlen(cases[i].text);
        if (strcmp(cases[i].name, "NUL byte") == 0)
            len = sizeof("[default]\nregion = a\0b\n") - 1;
        if (mt_ini_parse(cases[i].text, len, "cfg", cases[i].kind, &ini, &err) != -1 || ini ||
            err.code != MT_E_CONFIG || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case '%s': code %d\n   got: %s\nwanted: %s", cases[i].name, err.code,
                     err.msg, cases[i].msg);
    }
}

/* sections of any size: every key is found (any case, also keys longer than a word and
 * shorter than four bytes), in the small ones that are scanned and in the big ones that use
 * the hash table, also when a second header of the section adds keys */
static void test_ini_section_sizes(void **state)
{
    static const int sizes[] = {1, 7, 8, 9, 10, 40};
    size_t z;
    (void)state;

    for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
        char text[8192], want[64];
        size_t len = 0;
        int i, n = sizes[z];
        struct mt_ini *ini;
        const struct mt_ini_section *sec;
        len += (size_t)snprintf(text + len, sizeof(text) - len, "[s]\n");
        for (i = 0; i < n; i++) {
            if (i == n / 2)
                len += (size_t)snprintf(text + len, sizeof(text) - len, "[other]\nx = 1\n[s]\n");
            len += (size_t)snprintf(text + len, sizeof(text) - len,
                                    i % 3 ? "Key_Number_%d_Long = v%d\n" : "k%d = v%d\n", i, i);
        }
        ini = parse_ok(text, MT_INI_CREDENTIALS);
        assert_non_null(sec = mt_ini_profile(ini, "s"));
        for (i = 0; i < n; i++) {
            char key[64];
            snprintf(key, sizeof(key), i % 3 ? "KEY_number_%d_long" : "K%d", i);
            snprintf(want, sizeof(want), "v%d", i);
            assert_non_null(mt_ini_get(sec, key));
            assert_string_equal(mt_ini_get(sec, key), want);
        }
        assert_null(mt_ini_get(sec, "x"));
        assert_null(mt_ini_get(sec, "key_number_1_lon"));
        assert_null(mt_ini_get(sec, "k"));
        assert_string_equal(mt_ini_get(mt_ini_profile(ini, "other"), "X"), "1");
        mt_ini_free(ini);
    }
}

static void test_ini_accessors_null(void **state)
{
    (void)state;
    assert_null(mt_ini_profile(NULL, "x"));
    assert_null(mt_ini_get(NULL, "x"));
    assert_null(mt_ini_get_sub(NULL, "x", "y"));
    assert_int_equal(mt_ini_line(NULL), 0);
    assert_int_equal(mt_ini_profile_count(NULL), 0);
}

/* ---- load.c ---- */

static char tmpdir[64];

static char *tmp_path(const char *name)
{
    static char p[128];
    snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
    return p;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

static void test_load_files(void **state)
{
    struct mt_ini *ini = NULL;
    struct mt_config cfg;
    struct mt_err err = MT_ERR_INIT;
    char *p;
    int expl = -1;
    (void)state;

    /* a missing INI file is an empty object */
    assert_int_equal(mt_ini_load(tmp_path("missing"), MT_INI_CONFIG, &ini, &err), 0);
    assert_non_null(ini);
    assert_int_equal(mt_ini_profile_count(ini), 0);
    assert_string_equal(mt_ini_filename(ini), tmp_path("missing"));
    mt_ini_free(ini);

    assert_int_equal(write_file(tmp_path("config"), "[profile x]\nregion = r\n"), 0);
    assert_int_equal(mt_ini_load(tmp_path("config"), MT_INI_CONFIG, &ini, &err), 0);
    assert_string_equal(mt_ini_get(mt_ini_profile(ini, "x"), "region"), "r");
    mt_ini_free(ini);

    assert_int_equal(write_file(tmp_path("bad"), "[x]\nbroken\n"), 0);
    assert_int_equal(mt_ini_load(tmp_path("bad"), MT_INI_CONFIG, &ini, &err), -1);
    assert_null(ini);
    assert_int_equal(err.code, MT_E_CONFIG);

    /* a directory is unreadable: MT_E_CONFIG */
    assert_int_equal(mt_ini_load(tmpdir, MT_INI_CONFIG, &ini, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);

    /* mytools yaml: missing default file fine, missing explicit file an error */
    mt_err_clear(&err);
    assert_int_equal(mt_config_load(tmp_path("none.yaml"), 0, &cfg, &err), 0);
    assert_string_equal(cfg.path, tmp_path("none.yaml"));
    assert_int_equal(cfg.nenvs, 0);
    mt_config_release(&cfg);
    assert_int_equal(mt_config_load(tmp_path("none.yaml"), 1, &cfg, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    mt_config_release(&cfg);

    assert_int_equal(write_file(tmp_path("c.yaml"), "environments:\n  e:\n    xx: [\n"), 0);
    assert_int_equal(mt_config_load(tmp_path("c.yaml"), 0, &cfg, &err), -1);
    assert_int_equal(err.code, MT_E_CONFIG);
    assert_non_null(strstr(err.msg, "c.yaml:4:1: invalid yaml"));
    mt_config_release(&cfg);

    assert_int_equal(write_file(tmp_path("ok.yaml"), "environments:\n  e: {}\n"), 0);
    setenv("MYTOOLS_CONFIG", tmp_path("ok.yaml"), 1);
    p = mt_config_path(NULL, &expl);
    assert_string_equal(p, tmp_path("ok.yaml"));
    assert_int_equal(expl, 1);
    free(p);
    assert_int_equal(mt_config_load(NULL, 0, &cfg, &err), 0);
    assert_int_equal(cfg.nenvs, 1);
    mt_config_release(&cfg);
    setenv("MYTOOLS_CONFIG", tmp_path("gone.yaml"), 1);
    assert_int_equal(mt_config_load(NULL, 0, &cfg, &err), -1); /* env var counts as explicit */
    mt_config_release(&cfg);
    unsetenv("MYTOOLS_CONFIG");

    setenv("HOME", tmpdir, 1);
    p = mt_config_path(NULL, &expl);
    assert_string_equal(p, tmp_path(".mytools.yaml"));
    assert_int_equal(expl, 0);
    free(p);
    p = mt_config_path("~/x.yaml", &expl);
    assert_string_equal(p, tmp_path("x.yaml"));
    assert_int_equal(expl, 1);
    free(p);
}

static void test_aws_paths(void **state)
{
    char *p;
    (void)state;

    setenv("HOME", tmpdir, 1);
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    p = mt_aws_config_path();
    assert_string_equal(p, tmp_path(".aws/config"));
    free(p);
    p = mt_aws_credentials_path();
    assert_string_equal(p, tmp_path(".aws/credentials"));
    free(p);
    setenv("AWS_CONFIG_FILE", "~/other/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/abs/creds", 1);
    p = mt_aws_config_path();
    assert_string_equal(p, tmp_path("other/config"));
    free(p);
    p = mt_aws_credentials_path();
    assert_string_equal(p, "/abs/creds");
    free(p);
    setenv("AWS_CONFIG_FILE", "", 1); /* empty = unset */
    p = mt_aws_config_path();
    assert_string_equal(p, tmp_path(".aws/config"));
    free(p);
}

static int setup_tmp(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/mt_test_ini_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
    static const char *const names[] = {"config", "bad", "c.yaml", "ok.yaml"};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(tmp_path(names[i]));
    return rmdir(tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini_basic),
        cmocka_unit_test(test_ini_section_names),
        cmocka_unit_test(test_ini_default_precedence),
        cmocka_unit_test(test_ini_merge_and_continuation),
        cmocka_unit_test(test_ini_credentials),
        cmocka_unit_test(test_ini_empty),
        cmocka_unit_test(test_ini_errors),
        cmocka_unit_test(test_ini_section_sizes),
        cmocka_unit_test(test_ini_accessors_null),
        cmocka_unit_test_setup_teardown(test_load_files, setup_tmp, teardown_tmp),
        cmocka_unit_test_setup_teardown(test_aws_paths, setup_tmp, teardown_tmp),
    };
    return cmocka_run_group_tests_name("aws_ini", tests, NULL, NULL);
}
