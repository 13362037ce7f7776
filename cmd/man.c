/* man.c - the man pages' generated parts, from the command table (`mytools __man < page.in`):
 * synopses, each command's options, the global options and the command index. The prose
 * (DESCRIPTION, ENVIRONMENT, FILES, EXIT STATUS, EXAMPLES) stays hand-written in the man/ templates.
 * A template line that is exactly one of these is replaced:
 *   @SYNOPSIS prefix@   the usage lines of every command whose path is prefix or starts with it
 *   @COMMANDS prefix@   per command: .SS heading, usage, description, options
 *   @GLOBALS@           the global options
 *   @INDEX@             every command with its summary and the page documenting it
 *   @LINKS@             the applet link names
 * and @VERSION@ anywhere is the version. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd_int.h"

#ifndef MT_VERSION
#define MT_VERSION "0.0.0"
#endif

/* the page of each command group (first word of the path); others are in mytools(1) */
static const char *const pages[][2] = {
    {"db", "mytools-db"}, {"sso", "mytools-sso"}, {"kms", "mytools-kms"},
    {"mkpassword", "mkpassword"},
};

static const char *page_of(const struct mt_cmd *c)
{
    size_t i, wl = strcspn(c->path, " ");
    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
        if (strlen(pages[i][0]) == wl && !strncmp(pages[i][0], c->path, wl))
            return pages[i][1];
    return "mytools";
}

/* Text for roff: backslash, minus, and a leading dot or quote escaped. */
static void esc(FILE *f, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n && s[i]; i++) {
        char ch = s[i];
        if (ch == '\\')
            fputs("\\e", f);
        else if (ch == '-')
            fputs("\\-", f);
        else if ((ch == '.' || ch == '\'') && (i == 0 || s[i - 1] == '\n'))
            fputs("\\&", f), fputc(ch, f);
        else
            fputc(ch, f);
    }
}

static void escs(FILE *f, const char *s)
{
    esc(f, s, strlen(s));
}

static int matches(const struct mt_cmd *c, const char *prefix)
{
    size_t l = strlen(prefix);
    return !strcmp(c->path, prefix) || (!strncmp(c->path, prefix, l) && c->path[l] == ' ');
}

static void usage_lines(FILE *f, const struct mt_cmd *c)
{
    int i;
    for (i = 0; c->usage && c->usage[i]; i++) {
        fputs(i ? ".br\n" : "", f);
        fprintf(f, "\\fBmytools %s\\fR", c->path);
        if (c->usage[i][0]) {
            fputc(' ', f);
            escs(f, c->usage[i]);
        }
        fputc('\n', f);
    }
    if (c->link && !strcmp(c->link, c->path)) { /* the applet name alone: mkpassword */
        fprintf(f, ".br\n\\fB%s\\fR [options]\n", c->link);
    }
}

static void options(FILE *f, const struct mt_opt *o)
{
    for (; o && o->id; o++) {
        if (o->flags & MT_OPT_HIDDEN)
            continue;
        fputs(".TP\n", f);
        if (o->short_name)
            fprintf(f, "\\fB\\-%c\\fR, ", o->short_name);
        fputs("\\fB\\-\\-", f);
        escs(f, o->long_name);
        fputs("\\fR", f);
        if (o->arg) {
            fputs(" \\fI", f);
            escs(f, o->arg);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        escs(f, o->help);
        fputs(o->flags & MT_OPT_REPEAT ? " (repeatable)\n" : "\n", f);
    }
}

static void description(FILE *f, const char *d)
{
    const char *p = d;
    fputs(".PP\n", f);
    while (*p) {
        size_t l = strcspn(p, "\n");
        if (l == 0)
            fputs(".PP\n", f);
        else {
            esc(f, p, l);
            fputc('\n', f);
        }
        p += l;
        p += *p == '\n';
    }
}

static void commands(FILE *f, const char *prefix)
{
    int i;
    for (i = 0; mt_commands[i]; i++) {
        const struct mt_cmd *c = mt_commands[i];
        if (!matches(c, prefix))
            continue;
        fprintf(f, ".SS \"mytools %s\"\n", c->path);
        usage_lines(f, c);
        fputs(".PP\n", f);
        escs(f, c->summary);
        fputs(".\n", f);
        if (c->description)
            description(f, c->description);
        if (c->opts && c->opts[0].id) {
            fputs(".PP\nOptions:\n.RS\n", f);
            options(f, c->opts);
            fputs(".RE\n", f);
        }
    }
}

static void synopsis(FILE *f, const char *prefix)
{
    int i, n = 0;
    for (i = 0; mt_commands[i]; i++)
        if (matches(mt_commands[i], prefix)) {
            int k;
            for (k = 0; mt_commands[i]->usage && mt_commands[i]->usage[k]; k++) {
                fputs(n++ ? ".br\n" : "", f);
                fprintf(f, "\\fBmytools %s\\fR", mt_commands[i]->path);
                if (mt_commands[i]->usage[k][0]) {
                    fputc(' ', f);
                    escs(f, mt_commands[i]->usage[k]);
                }
                fputc('\n', f);
            }
        }
}

static void index_(FILE *f)
{
    int i;
    for (i = 0; mt_commands[i]; i++) {
        const struct mt_cmd *c = mt_commands[i];
        fprintf(f, ".TP\n.B %s\n", c->path);
        escs(f, c->summary);
        fprintf(f, "; see \\fB%s\\fR(1).\n", page_of(c));
    }
}

static void links(FILE *f)
{
    int i, n = 0;
    for (i = 0; mt_commands[i]; i++)
        if (mt_commands[i]->link)
            fprintf(f, "%s\\fB%s\\fR", n++ ? ", " : "", mt_commands[i]->link);
    fputc('\n', f);
}

static int directive(FILE *f, const char *line, const char *name, char *arg, size_t argsz)
{
    size_t n = strlen(name), l = strlen(line);
    if (strncmp(line, name, n) || l < n + 1 || line[l - 1] != '@')
        return 0;
    if (line[n] == '@' && l == n + 1)
        return arg[0] = '\0', 1;
    if (line[n] != ' ' || l - n - 2 >= argsz)
        return 0;
    memcpy(arg, line + n + 1, l - n - 2);
    arg[l - n - 2] = '\0';
    (void)f;
    return 1;
}

int mt_man_main(int argc, char **argv)
{
    char line[4096], arg[256];
    FILE *in = stdin, *out = stdout;
    int rc;
    if (argc != 0 && argc != 2) {
        fprintf(stderr, "usage: mytools __man [PAGE.in PAGE] (default: stdin to stdout)\n");
        return 2;
    }
    if (argc == 2 && (!(in = fopen(argv[0], "r")) || !(out = fopen(argv[1], "w")))) {
        fprintf(stderr, "mytools __man: cannot open '%s'\n", in ? argv[1] : argv[0]);
        if (in)
            fclose(in);
        return 1;
    }
    while (fgets(line, sizeof(line), in)) {
        char *v;
        line[strcspn(line, "\n")] = '\0';
        if (directive(out, line, "@SYNOPSIS", arg, sizeof(arg)))
            synopsis(out, arg);
        else if (directive(out, line, "@COMMANDS", arg, sizeof(arg)))
            commands(out, arg);
        else if (!strcmp(line, "@GLOBALS@"))
            options(out, mt_global_opts);
        else if (!strcmp(line, "@INDEX@"))
            index_(out);
        else if (!strcmp(line, "@LINKS@"))
            links(out);
        else {
            char *p = line;
            while ((v = strstr(p, "@VERSION@")) != NULL) {
                fwrite(p, 1, (size_t)(v - p), out);
                fputs(MT_VERSION, out);
                p = v + 9;
            }
            fprintf(out, "%s\n", p);
        }
    }
    rc = ferror(in) || ferror(out) ? 1 : 0;
    if (argc == 2) {
        fclose(in);
        if (fclose(out) != 0)
            rc = 1;
    }
    return rc;
}
