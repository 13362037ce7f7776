# bash completion for mytools and its applet links. The candidates come from the command table:
# `mytools __complete CWORD WORDS...` prints them (exit status 3: complete file names).
# Install: /usr/share/bash-completion/completions/mytools, or `source <(mytools completion bash)`.
_mytools() {
    local cur prev words cword out rc bin=mytools
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n =: || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
    fi
    [[ ${words[0]##*/} == mytools ]] && bin=${words[0]}
    out=$(command "$bin" __complete "$cword" "${words[@]}" 2>/dev/null)
    rc=$?
    if ((rc == 3)); then
        if declare -F _filedir >/dev/null 2>&1; then _filedir; else
            mapfile -t COMPREPLY < <(compgen -f -- "$cur"); fi
        return
    fi
    mapfile -t COMPREPLY <<<"$out"
    [[ -z $out ]] && COMPREPLY=()
}
# every applet link (`mytools --list`: mkpassword, db-token, ...) completes the same way
complete -F _mytools mytools $(command mytools --list 2>/dev/null)
