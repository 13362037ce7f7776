/* man.c - roff from the command table for the man pages (`mytools __man ...`). */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd_int.h"

int mt_man_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
