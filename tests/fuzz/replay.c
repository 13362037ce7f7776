/* replay.c - runs a libFuzzer target without libFuzzer: feeds every file of the given
 * directories (or the given files) to LLVMFuzzerTestOneInput once, in sorted order, so CI replays
 * the committed corpus under ASan/UBSan with any compiler.
 *
 *   fuzz_config_yaml_replay tests/fuzz/corpus/fuzz_config_yaml [more dirs or files...]
 *
 * Exits 0 when every input ran (a crash aborts with the sanitizer's report; the last "running"
 * line names the input), 1 on a usage or I/O problem or when no input was found. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nd;
            cap = cap ? cap * 2 : 4096;
            if (!(nd = realloc(data, cap))) {
                fclose(f);
                free(data);
                fprintf(stderr, "replay: out of memory\n");
                return -1;
            }
            data = nd;
        }
        n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    fprintf(stderr, "running %s (%zu bytes)\n", path, len);
    /* an exact-size copy, so ASan catches reads past the end */
    {
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            free(data);
            return -1;
        }
        if (len)
            memcpy(exact, data, len);
        free(data);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    (*count)++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (stat(path, &st) < 0) {
        fprintf(stderr, "replay: '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path, count);
    if (!(d = opendir(path))) {
        fprintf(stderr, "replay: '%s': %s\n", path, strerror(errno));
        return -1;
    }
    while ((de = readdir(d))) {
        size_t len;
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn;
            cap = cap ? cap * 2 : 64;
            if (!(nn = realloc(names, cap * sizeof(*names)))) {
                rc = -1;
                break;
            }
            names = nn;
        }
        len = strlen(path) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            rc = -1;
            break;
        }
        snprintf(names[n++], len, "%s/%s", path, de->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof(*names), cmp_str);
    for (i = 0; i < n; i++) {
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i], count);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int i;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 1;
    }
    for (i = 1; i < argc; i++)
        if (run_path(argv[i], &count) < 0)
            return 1;
    if (count == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    fprintf(stderr, "replay: %zu inputs ok\n", count);
    return 0;
}
