/* fuzz_aws_ini.c - mt_ini_parse() of both kinds on arbitrary bytes, then every accessor.
 * Property: every MT_E_CONFIG error starts with "fuzz.ini:LINE: ". See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/aws_ini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size, enum mt_ini_kind kind)
{
    struct mt_ini *ini = NULL;
    struct mt_err err = MT_ERR_INIT;
    size_t i, k;
    int line = 0, n = 0;

    if (mt_ini_parse((const char *)data, size, "fuzz.ini", kind, &ini, &err) < 0) {
        if (ini || (err.code == MT_E_CONFIG &&
                    !(sscanf(err.msg, "fuzz.ini:%d: %n", &line, &n) == 1 && n > 0 && line >= 1))) {
            fprintf(stderr, "bad error: %s\n", err.msg);
            abort();
        }
        return;
    }
    for (i = 0; i < mt_ini_profile_count(ini); i++) {
        const char *name = mt_ini_profile_name(ini, i), *key, *value;
        const struct mt_ini_section *s = mt_ini_profile(ini, name);
        if (!s || mt_ini_line(s) < 1)
            abort();
        for (k = 0; mt_ini_entry(s, k, &key, &value) == 0; k++) {
            if (mt_ini_get(s, key) != value || mt_ini_key_line(s, key) < 1)
                abort(); /* keys are unique within a section */
            (void)mt_ini_get_sub(s, key, "endpoint_url");
        }
        (void)mt_ini_get(s, "region");
        (void)mt_ini_get_sub(s, "s3", "addressing_style");
        (void)mt_ini_section(ini, "sso-session", mt_ini_get(s, "sso_session") ? mt_ini_get(s, "sso_session") : "x");
        (void)mt_ini_section(ini, "services", name);
    }
    (void)mt_ini_profile(ini, "default");
    mt_ini_free(ini);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, MT_INI_CONFIG);
    check(data, size, MT_INI_CREDENTIALS);
    return 0;
}
