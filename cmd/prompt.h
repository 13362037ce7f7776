/* prompt.h - one interactive line from the terminal, with Tab completion. GNU readline is loaded
 * with dlopen on the first prompt only (the warm path never pays for it); without readline the
 * line is read plainly from the terminal. Prompts go to stderr, so stdout stays the command's. */
#ifndef MT_CMD_PROMPT_H
#define MT_CMD_PROMPT_H

#include "common/err.h"

#define MT_PROMPT_READLINE_SONAME "libreadline.so.8"

enum {
    MT_PROMPT_OK = 0,
    MT_PROMPT_CANCEL = 1 /* Ctrl-D or an empty line */
};

/* Shows prompt on the terminal and reads one line. candidates (NULL-terminated, may be NULL) are
 * offered on Tab; a second Tab lists the matches on one line. Surrounding blanks are trimmed.
 * Returns MT_PROMPT_OK with *line malloc'd (the caller frees it), MT_PROMPT_CANCEL with *line
 * NULL, or -1 with err set (no terminal, out of memory). */
int mt_prompt(const char *prompt, const char *const *candidates, char **line, struct mt_err *err);

/* As mt_prompt, but an empty line gives a copy of def (when def is not NULL); Ctrl-D still
 * cancels. */
int mt_prompt_default(const char *prompt, const char *const *candidates, const char *def,
                      char **line, struct mt_err *err);

/* 1 when prompting is possible: stdin and stderr are terminals. */
int mt_prompt_available(void);

/* Replaces the readline soname to dlopen (tests, packagers); call before the first prompt.
 * "none" disables readline (plain line reading). Borrowed. */
void mt_prompt_set_readline_name(const char *soname);

#endif
