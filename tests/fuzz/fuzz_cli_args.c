/* fuzz_cli_args.c - the command-line parser (cmd/opts.c mt_parse_args) over every command's real
 * option table. The first byte picks the command, the rest is split at NUL bytes into argv.
 * Properties: never crashes or leaks; a failure is MT_E_USAGE (or MT_E_NOMEM) with a one-line
 * message; on success every parsed option belongs to the command or the global table, and every
 * positional argument is one of the input words. See tests/cmake/fuzz.cmake. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/cmd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int known(const struct mt_opt *t, int id)
{
    for (; t && t->long_name; t++)
        if (t->id == id)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mt_ctx ctx;
    char *copy, **argv;
    size_t ncmd = 0, i, start = 0;
    int argc = 0, k;

    if (size < 1 || size > 4096)
        return 0;
    while (mt_commands[ncmd])
        ncmd++;
    if (!(copy = malloc(size)) || !(argv = calloc(size + 1, sizeof(*argv)))) {
        free(copy);
        return 0;
    }
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    for (i = 0; i + 1 < size; i++)
        if (copy[i] == '\0') {
            argv[argc++] = copy + start;
            start = i + 1;
        }
    if (start < size - 1)
        argv[argc++] = copy + start;
    memset(&ctx, 0, sizeof(ctx));
    ctx.cmd = mt_commands[data[0] % ncmd];
    ctx.color = 1;
    if (mt_parse_args(&ctx, argc, argv) < 0) {
        if ((ctx.err.code != MT_E_USAGE && ctx.err.code != MT_E_NOMEM) || !ctx.err.msg[0] ||
            strchr(ctx.err.msg, '\n')) {
            fprintf(stderr, "bad parse error: %d '%s'\n", ctx.err.code, ctx.err.msg);
            abort();
        }
    } else {
        for (k = 0; k < ctx.args.nitems; k++)
            if (!known(ctx.cmd->opts, ctx.args.items[k].id) &&
                !known(mt_global_opts, ctx.args.items[k].id)) {
                fprintf(stderr, "option id %d is in no table\n", ctx.args.items[k].id);
                abort();
            }
        for (k = 0; k < ctx.args.npos; k++) {
            char *p = ctx.args.pos[k];
            if (p < copy || p >= copy + size) {
                fprintf(stderr, "a positional argument is not an input word\n");
                abort();
            }
        }
    }
    mt_args_release(&ctx.args);
    free(argv);
    free(copy);
    return 0;
}
