/* test_file.c - common/file.c: the one tilde expander and the one PATH walk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

static void check_home(const char *path, const char *home, const char *want)
{
    char *r = mt_path_expand_home(path, home);
    assert_non_null(r);
    assert_string_equal(r, want);
    free(r);
}

static void test_expand_home_cases(void **state)
{
    (void)state;
    check_home("~", "/home/u", "/home/u");
    check_home("~/", "/home/u", "/home/u/");
    check_home("~/a/b", "/home/u", "/home/u/a/b");
    check_home("~/a", "/home/u//", "/home/u/a"); /* trailing slashes of HOME dropped */
    check_home("~/a", "/", "/a");
    check_home("~", "/", "/");
    check_home("~user/a", "/home/u", "~user/a"); /* not expanded */
    check_home("a/~/b", "/home/u", "a/~/b");
    check_home("/abs", "/home/u", "/abs");
    check_home("~/a", "", "~/a"); /* no home: unchanged */
    check_home("~/a", NULL, "~/a");
    assert_null(mt_path_expand_home(NULL, "/home/u"));
}

static void test_expand_tilde_uses_home(void **state)
{
    char *r;
    (void)state;
    setenv("HOME", "/tmp/mt-home", 1);
    r = mt_expand_tilde("~/x");
    assert_string_equal(r, "/tmp/mt-home/x");
    free(r);
}

/* A temporary directory with an executable "mt-prog" and a non-executable "mt-plain". */
static char dir[64];

static void put(const char *name, mode_t mode)
{
    char p[128];
    FILE *f;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\n", f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
}

static void test_which_walks_path(void **state)
{
    char want[128], path[256], *r;
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/mt-which-XXXXXX");
    assert_non_null(mkdtemp(dir));
    put("mt-prog", 0700);
    put("mt-plain", 0600);
    snprintf(want, sizeof(want), "%s/mt-prog", dir);

    snprintf(path, sizeof(path), "/nonexistent-mt::%s:/usr/bin", dir);
    setenv("PATH", path, 1);
    r = mt_file_which("mt-prog");
    assert_non_null(r);
    assert_string_equal(r, want);
    free(r);
    assert_null(mt_file_which("mt-plain")); /* not executable */
    assert_null(mt_file_which("mt-missing"));
    assert_null(mt_file_which(""));

    /* a name with '/' is taken as is */
    r = mt_file_which(want);
    assert_non_null(r);
    assert_string_equal(r, want);
    free(r);

    /* an empty entry is not the current directory */
    assert_int_equal(chdir(dir), 0);
    setenv("PATH", ":/nonexistent-mt", 1);
    assert_null(mt_file_which("mt-prog"));

    /* unset PATH: /usr/bin:/bin */
    unsetenv("PATH");
    r = mt_file_which("sh");
    assert_non_null(r);
    assert_true(!strcmp(r, "/usr/bin/sh") || !strcmp(r, "/bin/sh"));
    free(r);
    assert_int_equal(chdir("/"), 0);

    snprintf(path, sizeof(path), "%s/mt-prog", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/mt-plain", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_home_cases),
        cmocka_unit_test(test_expand_tilde_uses_home),
        cmocka_unit_test(test_which_walks_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
