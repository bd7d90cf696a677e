#!/bin/sh
# Installs a build into a temporary DESTDIR and checks the layout: binaries, the monitor,
# /etc/uxl (uxl.conf, scripts/, auto/), rc.d scripts, systemd units, examples, man pages
# (each must render with man -l without warnings) and the bash completion.
#
#   install_layout_test.sh [SOURCE_DIR [BUILD_DIR]]
#
# The last line of the output is `N passed, M failed'; the exit status is 1 when something
# failed. The temporary directory is removed on exit.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=${1:-$here/../..}
build=${2:-$src/build}
src=$(cd "$src" && pwd)
build=$(cd "$build" && pwd)

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() {
	_d=$1; shift
	if "$@"; then ok "$_d"; else fail "$_d"; fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/uxl-install-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# cache VAR DEFAULT: a variable of the build's CMakeCache.txt (GNUInstallDirs leaves some empty).
cache() {
	_v=$(sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt")
	echo "${_v:-$2}"
}
prefix=$(cache CMAKE_INSTALL_PREFIX /usr/local)
# GNUInstallDirs: /usr puts the configuration in /etc, any other prefix in PREFIX/etc.
case "$prefix" in
/usr|/usr/) sysconf=/etc ;;
*) sysconf=$prefix/$(cache CMAKE_INSTALL_SYSCONFDIR etc) ;;
esac
libexec=$prefix/$(cache CMAKE_INSTALL_LIBEXECDIR libexec)
mandir=$prefix/$(cache CMAKE_INSTALL_MANDIR share/man)
bindir=$prefix/$(cache CMAKE_INSTALL_BINDIR bin)
sbindir=$prefix/$(cache CMAKE_INSTALL_SBINDIR sbin)
d=$tmp/dest

if DESTDIR=$d cmake --install "$build" >"$tmp/install.log" 2>&1; then
	ok "DESTDIR=... cmake --install $build"
else
	cat "$tmp/install.log"
	fail "cmake --install"
	echo "$passed passed, $failed failed"
	exit 1
fi
check "nothing was installed outside DESTDIR" \
	sh -c "! grep -v \"^-- Installing: $d\\|^-- Up-to-date: $d\\|^-- Install configuration\" '$tmp/install.log' | grep -q ."

x() { check "$1 is installed and executable" [ -f "$d$1" ] && [ -x "$d$1" ]; }
f() { check "$1 is installed" [ -f "$d$1" ]; }
dir() { check "$1/ exists" [ -d "$d$1" ]; }

x "$bindir/uxl"
x "$sbindir/uxld"
x "$libexec/uxl/uxl-monitor"
x "$libexec/uxl/uxl-domains"
x "$sysconf/rc.d/xencommons"
x "$sysconf/rc.d/xendomains"
f "$sysconf/uxl/uxl.conf"
f "$sysconf/default/uxl-domains"
dir "$sysconf/uxl/scripts"
x "$sysconf/uxl/scripts/vif-bridge"
x "$sysconf/uxl/scripts/vif-route"
x "$sysconf/uxl/scripts/block"
dir "$sysconf/uxl/auto"
f "$prefix/lib/systemd/system/uxld.service"
f "$prefix/lib/systemd/system/uxl-domains.service"
f "$prefix/share/doc/uxl/examples/example"
x "$prefix/share/doc/uxl/examples/build-guest.sh"
f "$prefix/share/bash-completion/completions/uxl"
for m in man1/uxl.1 man5/uxl.cfg.5 man8/uxld.8 man8/xendomains.8; do
	f "$mandir/$m"
done

check "the installed uxl runs" "$d$bindir/uxl" help >/dev/null
# Every xl.conf key uxl knows is in uxl.conf, commented.
check "uxl.conf lists all 18 xl.conf settings and hotplug.timeout, commented" \
	[ "$(grep -c '^#[a-z][a-z_.]*=' "$d$sysconf/uxl/uxl.conf")" -eq 19 ]

units=$d$prefix/lib/systemd/system
check "the units have no @...@ left" sh -c "! grep -q '@' '$units/uxld.service' '$units/uxl-domains.service'"
check "uxld.service runs $sbindir/uxld, Type=notify, KillMode=process, Restart=on-failure" sh -c "
	grep -qx 'ExecStart=$sbindir/uxld --foreground' '$units/uxld.service' &&
	grep -qx 'Type=notify' '$units/uxld.service' &&
	grep -qx 'KillMode=process' '$units/uxld.service' &&
	grep -qx 'Restart=on-failure' '$units/uxld.service'"
check "uxl-domains.service: oneshot, after uxld, stop timeout above XENDOMAINS_STOP_MAXWAIT" sh -c "
	grep -qx 'Type=oneshot' '$units/uxl-domains.service' &&
	grep -qx 'RemainAfterExit=yes' '$units/uxl-domains.service' &&
	grep -q '^After=uxld.service' '$units/uxl-domains.service' &&
	grep -qx 'ExecStop=$libexec/uxl/uxl-domains stop' '$units/uxl-domains.service' &&
	[ \$(sed -n 's/^TimeoutStopSec=//p' '$units/uxl-domains.service') -gt 300 ]"
if command -v systemd-analyze >/dev/null 2>&1; then
	# Point the units at the DESTDIR binaries so that verify can check them.
	mkdir -p "$tmp/units"
	for u in uxld.service uxl-domains.service; do
		sed "s|$prefix/|$d$prefix/|g" "$units/$u" >"$tmp/units/$u"
	done
	out=$(cd "$tmp/units" && systemd-analyze verify --man=no ./uxld.service ./uxl-domains.service 2>&1 |
		grep -v 'Failed to .*dbus\|Failed to connect\|not found' )
	check "systemd-analyze verify finds no problem in the units${out:+: $out}" [ -z "$out" ]
fi

for m in man1/uxl.1 man5/uxl.cfg.5 man8/uxld.8 man8/xendomains.8; do
	out=$(MANWIDTH=80 man -l --warnings=all "$d$mandir/$m" 2>&1 >/dev/null)
	check "man -l $m renders without warnings${out:+: $out}" [ -z "$out" ]
	out=$(groff -man -ww -z "$d$mandir/$m" 2>&1)
	check "groff -man -ww $m: no warnings${out:+: $out}" [ -z "$out" ]
done

comp=$d$prefix/share/bash-completion/completions/uxl
if command -v bash >/dev/null 2>&1; then
	out=$(bash -c '. "$1"; COMP_WORDS=(uxl cr); COMP_CWORD=1; _uxl; echo "${COMPREPLY[*]}"' _ "$comp" 2>&1)
	check "bash completion completes commands (uxl cr -> $out)" [ "$out" = create ]
	out=$(bash -c '. "$1"; COMP_WORDS=(uxl shutdown -); COMP_CWORD=2; _uxl; echo "${COMPREPLY[*]}"' _ "$comp" 2>&1)
	check "bash completion completes options (uxl shutdown - -> $out)" [ "$out" = "-w -a -F" ]
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
