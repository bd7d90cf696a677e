# bash completion for uxl(1) (and xl when it is installed as a link to uxl).
# Commands, domain names (from `uxl list'), config files (in /etc/uxl and as paths), device
# settings for the attach commands and a domain's devices for the detach commands.

_uxl_domains()
{
    "${1:-uxl}" list 2>/dev/null | awk 'NR > 1 && $1 != "Domain-0" { print $1 }'
}

# A domain's devices, for the detach commands: disks by number (the Vdev column of
# block-list), network interfaces by index and by MAC (network-list's columns 1 and 3).
_uxl_devices()
{
    case $2 in
        block-detach) "$1" block-list "$3" 2>/dev/null | awk 'NR > 1 { print $1 }' ;;
        network-detach) "$1" network-list "$3" 2>/dev/null | awk 'NR > 1 { print $1; print $3 }' ;;
    esac
}

# key= words: no space after the completion, so the value can follow.
_uxl_keys()
{
    COMPREPLY=($(compgen -W "$1" -- "$2"))
    [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
}

_uxl()
{
    local cur prev cmd i uxl=${COMP_WORDS[0]}
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}

    local commands="create list destroy shutdown reboot pci-list pause unpause console info
        vncviewer domid domname rename sysrq trigger button-press mem-set vcpu-list vcpu-set vcpu-pin sched-credit cd-insert cd-eject vm-list dmesg network-attach network-list network-detach
        block-attach block-list block-detach uptime check domxml-from-native domxml-to-native dumpxml help"

    # The command: the first word after the global options.
    cmd=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-v -f -N -t -T" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return 0
    fi

    case $cmd in
        create|check)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-h -c -p -q -n -f -F -e -d -V --quiet --dryrun --defconfig" -- "$cur"))
                return 0
            fi
            # Bare names of /etc/uxl (and /etc/xen) configs, and paths.
            local d f names=""
            for d in /etc/uxl /etc/xen; do
                [[ -d $d ]] || continue
                for f in "$d"/*; do
                    [[ -f $f ]] || continue
                    case ${f##*/} in
                        *.conf|*~|*.bak|*.dpkg-*|*.rpm*) continue ;;
                    esac
                    names+=" ${f##*/}"
                done
            done
            COMPREPLY=($(compgen -W "$names" -- "$cur"))
            compopt -o filenames 2>/dev/null
            COMPREPLY+=($(compgen -f -- "$cur"))
            ;;
        domxml-from-native|domxml-to-native)
            # virsh's native formats, then a file.
            local n=0
            for ((i = i + 1; i < COMP_CWORD; i++)); do
                [[ ${COMP_WORDS[i]} == -* ]] || n=$((n + 1))
            done
            if ((n == 0)); then
                COMPREPLY=($(compgen -W "xen-xl xen-xm" -- "$cur"))
            else
                COMPREPLY=($(compgen -f -- "$cur"))
                compopt -o filenames 2>/dev/null
            fi
            ;;
        dumpxml)
            COMPREPLY=($(compgen -W "$(_uxl_domains "$uxl")" -- "$cur"))
            ;;
        list|uptime)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-l -v" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_uxl_domains "$uxl")" -- "$cur"))
            fi
            ;;
        shutdown|reboot)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-w -a -F" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_uxl_domains "$uxl")" -- "$cur"))
            fi
            ;;
        sched-credit)
            if [[ $prev == -d || $prev == --domain ]]; then
                COMPREPLY=($(compgen -W "$(_uxl_domains "$uxl")" -- "$cur"))
            elif [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-d -w -c -s -t -r -m -p --domain --weight --cap --schedparam --cpupool" -- "$cur"))
            fi
            ;;
        block-list|network-list)
            # Every argument is a domain.
            if [[ $cur != -* ]]; then
                COMPREPLY=($(compgen -W "$(_uxl_domains "$uxl")" -- "$cur"))
            fi
            ;;
        destroy|pause|unpause|console|vncviewer|domid|domname|rename|sysrq|trigger|button-press|mem-set|vcpu-set|vcpu-pin|cd-insert|cd-eject|pci-list|network-attach|\
        network-detach|block-attach|block-detach)
            # The first argument after the command is a domain; what follows depends on
            # the command.
            local n=0 domain=""
            for ((i = i + 1; i < COMP_CWORD; i++)); do
                [[ ${COMP_WORDS[i]} == -* ]] && continue
                ((n == 0)) && domain=${COMP_WORDS[i]}
                n=$((n + 1))
            done
            if [[ $cur == -* ]]; then
                [[ $cmd == block-detach || $cmd == vcpu-pin ]] && COMPREPLY=($(compgen -W "-f --force" -- "$cur"))
            elif ((n == 0)); then
                COMPREPLY=($(compgen -W "$(_uxl_domains "$uxl")" -- "$cur"))
            else
                case $cmd in
                    network-attach)
                        _uxl_keys "type= mac= bridge= ip= script= backend= vifname= rate= model= mtu=" "$cur"
                        ;;
                    block-attach)
                        _uxl_keys "format= vdev= access= devtype= backendtype= script= target=" "$cur"
                        ;;
                    block-detach|network-detach)
                        ((n == 1)) && COMPREPLY=($(compgen -W "$(_uxl_devices "$uxl" "$cmd" "$domain")" -- "$cur"))
                        ;;
                esac
            fi
            ;;
        dmesg)
            COMPREPLY=($(compgen -W "-c" -- "$cur"))
            ;;
        help)
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
            ;;
    esac
    return 0
}

complete -F _uxl uxl
# xl too, but only when it is uxl (the UXL_INSTALL_XL_LINK link), not Xen's own xl.
if [[ $(readlink -f "$(type -P xl 2>/dev/null)" 2>/dev/null) == */uxl ]]; then
    complete -F _uxl xl
fi
