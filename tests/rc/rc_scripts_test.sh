#!/bin/sh
# Runs rc.d/xencommons, rc.d/xendomains and rc.d/uxl-domains for real against a uxld in a
# temporary root, with real User-Mode Linux guests (the example busybox initramfs):
#
#   rc_scripts_test.sh [SOURCE_DIR [BUILD_DIR]]
#
# Skipped (exit 0) when /usr/bin/linux is absent. Everything it starts — guests, uxld, the
# temporary directory — is cleaned up on exit, even on failure. The last line of the output
# is `N passed, M failed'; the exit status is 1 when something failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../..}
build=${2:-$src/build}
src=$(cd "$src" && pwd)
build=$(cd "$build" && pwd)

if [ ! -x /usr/bin/linux ]; then
	echo "SKIP: /usr/bin/linux (user-mode-linux) is not installed"
	exit 0
fi

UXL=$build/cli/uxl
UXLD=$build/daemon/uxld
export UXL UXLD
for b in "$UXL" "$UXLD"; do
	[ -x "$b" ] || { echo "missing $b (build first)"; echo "0 passed, 1 failed"; exit 1; }
done

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...
	_d=$1; shift
	if "$@"; then ok "$_d"; else fail "$_d"; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uxl-rc-test.XXXXXX")
# uxld runs each guest under a uid of its own, which must pass through to its files.
chmod 0711 "$tmp"
root=$tmp/root
UXL_SOCKET=$root/uxld.sock
UXLD_FLAGS="--root $root"
UXLD_PIDFILE=$tmp/uxld.pid
UXL_RC_CONF=$tmp/rc.conf
UXL_DOMAINS_DEFAULTS=$tmp/uxl-domains.defaults
export UXL_SOCKET UXLD_FLAGS UXLD_PIDFILE UXL_RC_CONF UXL_DOMAINS_DEFAULTS

# until_true SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds (0) or SECONDS
# have passed (1).
until_true() {
	_n=$(($1 * 10))
	shift
	while ! "$@"; do
		[ "$_n" -gt 0 ] || return 1
		_n=$((_n - 1))
		sleep 0.1
	done
}
answers() { "$UXL" list >/dev/null 2>&1; }
gone() { ! kill -0 "$1" 2>/dev/null; }

cleanup() {
	# A uxld is needed to destroy the guests: restart one if a failure left none.
	if [ -d "$root" ] && ! answers; then
		"$UXLD" $UXLD_FLAGS --pidfile "$UXLD_PIDFILE" >/dev/null 2>&1 && until_true 20 answers
	fi
	if [ -S "$UXL_SOCKET" ]; then
		for d in $("$UXL" list 2>/dev/null | awk 'NR > 1 && $2 != "0" { print $2 }'); do
			"$UXL" destroy "$d" >/dev/null 2>&1
		done
	fi
	if [ -r "$UXLD_PIDFILE" ]; then
		pid=$(cat "$UXLD_PIDFILE")
		case "$pid" in
		''|*[!0-9]*) ;;
		*) kill -TERM "$pid" 2>/dev/null && until_true 20 gone "$pid" ;;
		esac
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

img=$tmp/guest.cpio.gz
if ! sh "$src/share/examples/build-guest.sh" "$img" >"$tmp/build-guest.log" 2>&1; then
	cat "$tmp/build-guest.log"
	fail "build-guest.sh"
	echo "$passed passed, $failed failed"
	exit 1
fi

mkdir -p "$tmp/cfg" "$tmp/auto"
guest_config() { # guest_config NAME [EXTRA]
	printf 'name = "%s"\nkernel = "/usr/bin/linux"\nramdisk = "%s"\nmemory = 64\nextra = "%s"\non_poweroff = "destroy"\n' \
		"$1" "$img" "${2:-quiet pty.legacy_count=0}"
}
for g in g1 g2 g3 g4 g5; do guest_config $g >"$tmp/cfg/$g"; done
printf 'name = "broken"\nkernel = "/usr/bin/linux"\nmemory = [ 64\n' >"$tmp/cfg/broken"

# A pre-hook for g2 (it must not prevent the create) and a post-hook for g1.
cat >"$tmp/cfg/g2-pre" <<EOF
#!/bin/sh
basename "\$0" >"$tmp/g2-pre.ran"
EOF
cat >"$tmp/cfg/g1-post" <<EOF
#!/bin/sh
basename "\$0" >>"$tmp/g1-post.ran"
EOF
chmod +x "$tmp/cfg/g2-pre" "$tmp/cfg/g1-post"

cat >"$UXL_RC_CONF" <<EOF
xendomains="g1 broken g2"
xendomains_config="$tmp/cfg/%s"
xendomains_prehook="$tmp/cfg/%s-pre"
xendomains_posthook="$tmp/cfg/%s-post"
EOF

live() { "$UXL" list 2>/dev/null | awk 'NR > 1 && $2 != "0" { print $1 }' | sort | tr '\n' ' '; }
# Waits (up to 30 s) until guest $1 has printed its N-th ($2) "up" line on the console.
wait_up() {
	_i=0
	while [ "$_i" -lt 60 ]; do
		_n=$(grep -c "uxl example guest: up" "$root/log/console/$1.log" 2>/dev/null)
		[ "${_n:-0}" -ge "$2" ] && return 0
		sleep 0.5
		_i=$((_i + 1))
	done
	echo "  $1 did not come up"
	return 1
}
contains() { printf '%s\n' "$1" | grep -q -- "$2"; }
not_contains() { ! printf '%s\n' "$1" | grep -qi -- "$2"; }
# rc_out STATUS TEXT: the last command exited STATUS (or `nonzero') and printed TEXT.
rc_out() {
	case "$1" in
	nonzero) [ "$rc" -ne 0 ] || return 1 ;;
	*) [ "$rc" -eq "$1" ] || return 1 ;;
	esac
	contains "$out" "$2"
}
seconds() { date +%s; }

# The rc scripts' calls of uxl, one line of arguments per call, recorded by a wrapper for the
# last `recorded' run.
calls=$tmp/uxl-calls
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\nexec "%s" "$@"\n' "$calls" "$UXL" >"$tmp/uxl-recorded"
chmod +x "$tmp/uxl-recorded"
recorded() { : >"$calls"; UXL=$tmp/uxl-recorded "$@"; }
# shut_down_in_parallel DOM...: in the last recorded run, `uxl shutdown' went to each DOM once,
# without waiting (no -w/--wait), and to all of them before the first check of what is still
# live: no domain's shutdown waited for another's.
shut_down_in_parallel() {
	_want=$(printf 'shutdown %s\n' "$@" | sort)
	_got=$(grep '^shutdown' "$calls" | sort)
	if [ "$_got" != "$_want" ]; then
		echo "  shutdown calls:" $_got
		return 1
	fi
	_verbs=$(awk '{ printf "%s ", $1 }' "$calls")
	if ! printf '%s\n' "$_verbs" | grep -Eq "^((list|create) )*(shutdown ){$#}(list )+\$"; then
		echo "  uxl calls in order: $_verbs"
		return 1
	fi
}
# ignore_cad DOM: makes DOM's init ignore Ctrl-Alt-Del (mconsole `cad', what `uxl shutdown'
# sends), as a guest that hangs on shutdown would: its ctrlaltdel action, /sbin/poweroff,
# becomes a script that does nothing. Typed through `uxl console'; waits (30 s at most) until
# the guest's shell has done it.
ignore_cad() {
	_log=$root/log/console/$1.log
	_before=$(grep -c IGNORING-CAD-42 "$_log")
	_cmd="rm -f /sbin/poweroff; echo '#!/bin/sh' >/sbin/poweroff; chmod 755 /sbin/poweroff && echo IGNORING-CAD-\$((6*7))"
	printf '\n%s\n' "$_cmd" | "$UXL" console "$1" >/dev/null 2>&1 &
	_console=$!
	until_true 30 sh -c '[ "$(grep -c IGNORING-CAD-42 "$1")" -gt "$2" ]' sh "$_log" "$_before"
	_rc=$?
	kill "$_console" 2>/dev/null
	wait "$_console" 2>/dev/null
	return $_rc
}

xc=$src/rc.d/xencommons
xd=$src/rc.d/xendomains
ud=$src/rc.d/uxl-domains

# --- xencommons ---------------------------------------------------------------------------
"$xc" status >/dev/null 2>&1; rc=$?
check "xencommons status before start exits 3 (got $rc)" [ "$rc" -eq 3 ]
out=$("$xc" start 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
check "xencommons start succeeds" [ "$rc" -eq 0 ]
check "xencommons start wrote the pidfile" [ -s "$UXLD_PIDFILE" ]
check "uxld answers after xencommons start" "$UXL" list >/dev/null
out=$("$xc" status 2>&1); rc=$?
check "xencommons status: running ($out)" [ "$rc" -eq 0 ]
out=$("$xc" start 2>&1); rc=$?
check "xencommons start again: already running" rc_out 0 "already running"
out=$(UXLD=/bin/true UXLD_WAIT=2 UXLD_PIDFILE=$tmp/none.pid UXL_SOCKET=$tmp/none.sock "$xc" start 2>&1); rc=$?
check "xencommons start fails clearly when uxld never answers ($out)" \
	rc_out nonzero "does not answer"

# --- xendomains start: two good domains, one broken config --------------------------------
t0=$(seconds)
out=$("$xd" start 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
check "xendomains start reports the failure (exit $rc)" [ "$rc" -ne 0 ]
check "xendomains start names the broken domain" contains "$out" "Failed to start: broken"
check "xendomains start shows why broken failed" contains "$out" "broken: FAILED"
check "g1 and g2 are running ($(live))" [ "$(live)" = "g1 g2 " ]
check "the g2 pre-hook ran (and g2 was still created)" [ "$(cat "$tmp/g2-pre.ran" 2>/dev/null)" = g2-pre ]
wait_up g1 1 && wait_up g2 1
check "g1 and g2 booted" [ $? -eq 0 ]
out=$("$xd" start 2>&1)
check "xendomains start again skips the running domains" contains "$out" "g1: already running"
out=$("$xd" list 2>&1)
check "xendomains list prints 'g1 g2' ($out)" [ "$out" = "g1 g2" ]
out=$("$xd" status 2>&1); rc=$?
check "xendomains status: broken is not running, exit 3" \
	rc_out 3 "broken: not running"
echo "  (start + boot: $(($(seconds) - t0)) s)"

# --- xencommons restart keeps the guests --------------------------------------------------
out=$("$xc" stop 2>&1); rc=$?
check "xencommons stop succeeds" [ "$rc" -eq 0 ]
"$xc" status >/dev/null 2>&1; rc=$?
check "xencommons status after stop exits 3" [ "$rc" -eq 3 ]
"$xc" start >/dev/null 2>&1
check "after a uxld restart g1 and g2 are still there ($(live))" [ "$(live)" = "g1 g2 " ]

# --- xendomains stop: clean, in parallel, within the bound --------------------------------
t0=$(seconds)
out=$(recorded "$xd" stop 2>&1); rc=$?
t=$(($(seconds) - t0))
echo "$out" | sed 's/^/    /'
echo "  (stop: $t s)"
check "xendomains stop succeeds" [ "$rc" -eq 0 ]
check "xendomains stop announces the bound 60 + 5*2 = 70 s" contains "$out" "up to 70 s"
check "xendomains stop: all stopped cleanly" contains "$out" "All domains stopped."
check "xendomains stop destroyed nothing" not_contains "$out" "destroy"
check "no domain left ($(live))" [ -z "$(live)" ]
check "xendomains stop shut g1 and g2 down in parallel" shut_down_in_parallel g1 g2
check "the g1 post-hook ran" [ "$(cat "$tmp/g1-post.ran" 2>/dev/null)" = g1-post ]

# --- xendomains stop: a bound too short, the stragglers are destroyed and reported --------
cat >>"$UXL_RC_CONF" <<EOF
xendomains="g3 g4"
xendomains_stop_timeout=1
EOF
"$xd" start >/dev/null 2>&1
wait_up g3 1 && wait_up g4 1
check "g3 and g4 booted" [ $? -eq 0 ]
# Stragglers for certain: g3 and g4 ignore the shutdown request, so only the bound ends the
# wait (`timeout' turns a stop that never returns into a failure rather than a hang).
check "g3 ignores Ctrl-Alt-Del" ignore_cad g3
check "g4 ignores Ctrl-Alt-Del" ignore_cad g4
out=$(timeout 120 "$xd" stop 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
check "xendomains stop with a 1 s bound still succeeds (exit $rc)" [ "$rc" -eq 0 ]
check "the 1 s bound was the one kept" contains "$out" "Still running after 1 s, destroying: g3 g4"
check "the stragglers are reported as destroyed" contains "$out" "Destroyed: g3 g4"
check "no domain left after the bound ($(live))" [ -z "$(live)" ]

# --- uxl-domains (the Linux helper): the auto directory -----------------------------------
cp "$tmp/cfg/g3" "$tmp/auto/g3"
ln -s "$tmp/cfg/g4" "$tmp/auto/g4"
cp "$tmp/cfg/g5" "$tmp/auto/g5~"
cat >"$UXL_DOMAINS_DEFAULTS" <<EOF
XENDOMAINS_AUTO=$tmp/auto
XENDOMAINS_STOP_MAXWAIT=60
EOF
"$UXL" create -q "$tmp/cfg/g1" >/dev/null 2>&1
out=$("$ud" start 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
check "uxl-domains start succeeds" [ "$rc" -eq 0 ]
check "the auto domains run, the backup file is skipped ($(live))" [ "$(live)" = "g1 g3 g4 " ]
out=$("$ud" status 2>&1); rc=$?
check "uxl-domains status: all auto domains up" [ "$rc" -eq 0 ]
wait_up g3 2 && wait_up g4 2 && wait_up g1 2
check "g1, g3 and g4 booted" [ $? -eq 0 ]
t0=$(seconds)
out=$(recorded "$ud" stop 2>&1); rc=$?
t=$(($(seconds) - t0))
echo "$out" | sed 's/^/    /'
echo "  (stop: $t s)"
check "uxl-domains stop succeeds cleanly" rc_out 0 "All domains stopped."
check "uxl-domains stop (AUTO_ONLY) leaves g1 running ($(live))" [ "$(live)" = "g1 " ]
check "uxl-domains stop shut g3 and g4 down in parallel" shut_down_in_parallel g3 g4
out=$("$ud" status 2>&1); rc=$?
check "uxl-domains status after stop: MISS AUTO, exit 3" \
	rc_out 3 "MISS AUTO: g3"
echo "XENDOMAINS_STOP_MAXWAIT=1" >>"$UXL_DOMAINS_DEFAULTS"
echo "XENDOMAINS_AUTO_ONLY=false" >>"$UXL_DOMAINS_DEFAULTS"
check "g1 ignores Ctrl-Alt-Del" ignore_cad g1
out=$(timeout 120 "$ud" stop 2>&1); rc=$?
echo "$out" | sed 's/^/    /'
check "uxl-domains stop (all, 1 s bound) keeps the bound" contains "$out" "Still running after 1 s, destroying: g1"
check "uxl-domains stop (all, 1 s bound) destroys and reports g1" \
	rc_out 0 "Destroyed: g1"
check "no domain left ($(live))" [ -z "$(live)" ]

# --- xencommons stop ----------------------------------------------------------------------
out=$("$xc" stop 2>&1); rc=$?
check "xencommons stop succeeds" [ "$rc" -eq 0 ]
check "xencommons stop removed the pidfile" [ ! -e "$UXLD_PIDFILE" ]
out=$("$xc" stop 2>&1); rc=$?
check "xencommons stop when stopped: not running, exit 0" rc_out 0 "not running"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
