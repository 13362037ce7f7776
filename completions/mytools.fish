# fish completion for mytools and its applet links. The candidates come from the command table:
# `mytools __complete CWORD WORDS...` prints them (exit status 3: complete file names).
# Install: /usr/share/fish/vendor_completions.d/, or `mytools completion fish | source`.
function __mytools_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l bin mytools
    if test (basename -- $words[1]) = mytools
        set bin $words[1]
    end
    set -l out (command $bin __complete (count $words) $words "$cur" 2>/dev/null)
    if test $status -eq 3
        __fish_complete_path "$cur"
        return
    end
    printf '%s\n' $out
end
# every applet link (`mytools --list`: mkpassword, db-token, ...) completes the same way
for c in mytools (command mytools --list 2>/dev/null)
    complete -c $c -f -a '(__mytools_complete)'
end
