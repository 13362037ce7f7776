# bash completion for mytools: commands from `mytools --help`, options from `<command> --help`.
_mytools() {
    local cur=${COMP_WORDS[COMP_CWORD]} words
    if ((COMP_CWORD == 1)); then
        words=$(mytools --help 2>/dev/null | awk '/^commands:/{f=1;next} /^$/{f=0} f{print $1}' | sort -u)
    elif ((COMP_CWORD == 2)) && mytools "${COMP_WORDS[1]}" --help >/dev/null 2>&1 &&
         ! mytools "${COMP_WORDS[1]}" --help 2>/dev/null | grep -q '^options:'; then
        words=$(mytools "${COMP_WORDS[1]}" --help 2>/dev/null | awk '/^subcommands:/{f=1;next} f{print $2}')
    else
        words=$(mytools "${COMP_WORDS[@]:1:2}" --help 2>/dev/null | grep -oE -- '--[a-z-]+' | sort -u)
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _mytools mytools
