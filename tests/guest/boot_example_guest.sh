#!/bin/sh
# Boots the example guest (share/examples/build-guest.sh) with Debian's User-Mode Linux and checks
# that it comes up, answers on its console, and powers off cleanly on mconsole `cad':
#   1. build the initramfs into a private temp dir;
#   2. start /usr/bin/linux (ASLR off, memory file on tmpfs, console on a fifo -> log file);
#   3. wait (60 s) for "uxl example guest: up (uptime N)" on the console;
#   4. type a command on the console and see its output;
#   5. `uml_mconsole SOCKET cad' (or `poweroff' on the console without uml-utilities) and
#      wait (30 s) for UML to exit with status 0, leaving no process and no umid dir behind.
# Everything (the UML process group, temp dirs) is cleaned up on any exit. The last line is
# "1 passed, 0 failed" (exit 0) or "0 passed, 1 failed" (exit 1); without /usr/bin/linux it
# prints a "SKIP:" line and exits 0.
#
# Environment: UXL_UML (default /usr/bin/linux), UXL_TEST_TMPFS (a tmpfs directory allowing exec,
# default /dev/shm), UXL_TEST_KEEP=1 keeps the work dir (console log) for inspection.
set -eu

uml=${UXL_UML:-/usr/bin/linux}
here=$(cd "$(dirname "$0")" && pwd)
build_guest=$here/../../share/examples/build-guest.sh

if [ ! -x "$uml" ]; then
    echo "SKIP: $uml not found (apt-get install user-mode-linux)"
    exit 0
fi

work=
pid=
pgid=
result=fail

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# True while the UML main process exists and is not a zombie.
alive() {
    [ -n "$pid" ] || return 1
    state=
    read -r _ _ state _ 2>/dev/null <"/proc/$pid/stat" || return 1
    [ "$state" != Z ]
}

kill_uml() {
    # UML calls setsid(), so its helpers and stubs share its process group; SIGKILL on the main
    # process alone would orphan them.
    # (dash's kill takes no `--': "-PGID" right after the signal names a process group.)
    if [ -n "$pgid" ]; then
        kill -KILL "-$pgid" 2>/dev/null || :
    fi
    if [ -n "$pid" ]; then
        kill -KILL "$pid" 2>/dev/null || :
        wait "$pid" 2>/dev/null || :
    fi
    if [ -n "$pgid" ]; then
        n=0
        while kill -0 "-$pgid" 2>/dev/null && [ "$n" -lt 40 ]; do
            sleep 0.05
            n=$((n + 1))
        done
    fi
    pid=
    pgid=
}

on_exit() {
    rc=$?
    trap - EXIT HUP INT TERM
    kill_uml
    exec 3>&-
    if [ -n "$work" ]; then
        if [ "${UXL_TEST_KEEP:-0}" = 1 ]; then
            echo "kept $work"
        else
            rm -rf -- "$work"
        fi
    fi
    if [ "$rc" = 0 ] && [ "$result" = pass ]; then
        echo "1 passed, 0 failed"
        exit 0
    fi
    echo "0 passed, 1 failed"
    exit 1
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "FAIL: $*"
    if [ -n "$work" ] && [ -s "$work/console.log" ]; then
        echo "--- last lines of the console log:"
        tail -n 40 "$work/console.log" | tr -d '\r'
        echo "---"
    fi
    exit 1
}

# The memory file and (short) uml_dir go to a private directory on tmpfs.
tmpfs=${UXL_TEST_TMPFS:-/dev/shm}
[ -d "$tmpfs" ] && [ -w "$tmpfs" ] || tmpfs=${TMPDIR:-/tmp}
work=$(mktemp -d "$tmpfs/uxlt.XXXXXX")
umid=uxlt$$
umldir=$work/u
log=$work/console.log
img=$work/guest.cpio.gz

sh "$build_guest" "$img" >"$work/build.log" 2>&1 || {
    cat "$work/build.log"
    fail "build-guest.sh failed"
}
echo "built $(wc -c <"$img" | tr -d ' ') byte initramfs"

# The console: UML reads a fifo (kept open read-write on fd 3 here, so UML never sees EOF and
# we can write to it) and writes to a log file.
mkfifo "$work/console.in"
exec 3<>"$work/console.in"
: >"$log"

t0=$(now_ms)
TMPDIR=$work setarch x86_64 -R "$uml" mem=64M initrd="$img" umid="$umid" uml_dir="$umldir" \
    con0=fd:0,fd:1 con=null <"$work/console.in" >"$log" 2>&1 3>&- &
pid=$!
pgid=$pid

# Console lines without the tty's carriage returns.
console() {
    tr -d '\r' <"$log"
}

# wait_for REGEX SECONDS: polls the console log (every 50 ms, with as few forks as possible, so as
# not to slow the guest down on a busy host) for a line matching REGEX; REGEX must not end in `$'
# (a carriage return may end the line).
cr=$(printf '\r')
wait_for() {
    n=$(($2 * 20))
    while :; do
        if grep -Eq -- "$1$cr?\$" "$log"; then
            return 0
        fi
        alive || fail "UML exited while waiting for /$1/"
        n=$((n - 1))
        [ "$n" -gt 0 ] || return 1
        sleep 0.05
    done
}

wait_for '^uxl example guest: up \(uptime [0-9]+\.[0-9]+\)' 60 ||
    fail "no boot banner within 60 s"
t_up=$(now_ms)
banner=$(console | grep -E '^uxl example guest: up ' | head -n 1)
echo "booted in $((t_up - t0)) ms (exec -> banner; guest says: ${banner#uxl example guest: })"

# The output differs from the echoed input line, so only the shell's answer matches.
printf 'echo hello-from-console-$((6*7))\n' >&3
wait_for '^hello-from-console-42' 20 || fail "no answer from the console shell within 20 s"
echo "console shell answered"

t_down=$(now_ms)
if command -v uml_mconsole >/dev/null 2>&1; then
    sock=$umldir/$umid/mconsole
    [ -S "$sock" ] || fail "no mconsole socket at $sock"
    # uml_mconsole warns on stderr while it tries to read the argument as a umid; keep that quiet.
    reply=$(uml_mconsole "$sock" cad 2>"$work/mconsole.err") ||
        fail "uml_mconsole cad failed: $reply $(cat "$work/mconsole.err")"
    case $reply in
        OK*) ;;
        *) fail "uml_mconsole cad replied: $reply" ;;
    esac
    how="mconsole cad"
else
    printf 'poweroff\n' >&3
    how="console poweroff (uml-utilities not installed)"
fi

n=600
while alive; do
    [ "$n" -gt 0 ] || fail "UML still running 30 s after $how"
    n=$((n - 1))
    sleep 0.05
done
t_exit=$(now_ms)
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "UML exited with status $rc after $how"
echo "clean shutdown via $how: UML exited 0 after $((t_exit - t_down)) ms"

# (The shell's prompt may precede it on the same line.)
console | grep -q 'uxl example guest: powering off$' ||
    fail "the guest's shutdown actions did not run"
# UML's helper processes share its process group and should go with it.
n=0
while kill -0 "-$pgid" 2>/dev/null; do
    [ "$n" -lt 200 ] || fail "UML helper processes left behind in process group $pgid (10 s after the exit)"
    sleep 0.05
    n=$((n + 1))
done
pgid=
[ ! -e "$umldir/$umid" ] || fail "UML left $umldir/$umid behind"

result=pass
