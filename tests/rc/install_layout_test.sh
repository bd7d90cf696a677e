#!/bin/sh
# Installs uxl into temporary DESTDIRs and checks that the installed binaries look for their
# files where the install put them (the paths are compiled in at configure time):
#
#   1. BUILD_DIR as configured (the default prefix /usr/local, whose configuration is in
#      /etc/uxl as for every prefix on Linux: cmake/install_dirs.cmake);
#   2. a second build of the same tree configured with -DCMAKE_INSTALL_PREFIX=/usr (as a
#      distribution package is), next to BUILD_DIR and removed afterwards: only the
#      libraries and binaries, no tests. Every object but the two that hold the paths
#      comes from ccache when BUILD_DIR was built with it (and the same CCACHE_BASEDIR): the
#      second build maps its directory to BUILD_DIR's in the debug info (UXL_DEBUG_BUILD_DIR),
#      so ccache sees the same compilations. Without ccache it is a full build (minutes);
#   3. the README's tour: build/daemon/uxld, run from the build tree, uses the tree's own
#      uxl.conf, hook scripts and monitor, and build/cli/uxl the tree's uxl-xml.
#
# For each install: the installed uxld's --print-paths (final paths, not DESTDIR ones) names
# files that exist under DESTDIR; the installed uxl, rc scripts, units and completion name
# the same directories; nothing lands in PREFIX/etc for /usr or outside DESTDIR; man pages
# render without warnings; the units verify.
#
#   install_layout_test.sh [SOURCE_DIR [BUILD_DIR]]
#
# The last line of the output is `N passed, M failed'; the exit status is 1 when something
# failed. The temporary directories are removed on exit.
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
usr_build=""
trap 'rm -rf "$tmp" ${usr_build:+"$usr_build"}' EXIT
trap 'exit 1' INT TERM HUP
# A domain XML for uxl's XML helper (uxl-xml).
cat >"$tmp/guest.xml" <<'EOF'
<domain type='xen'>
  <name>install-test</name>
  <memory unit='KiB'>262144</memory>
  <os><type>linux</type><kernel>/boot/vmlinuz</kernel></os>
</domain>
EOF

# cache BUILD VAR DEFAULT: a variable of BUILD's CMakeCache.txt (GNUInstallDirs leaves some empty).
cache() {
	_v=$(sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt")
	echo "${_v:-$3}"
}
# full PREFIX DIR: GNUInstallDirs' CMAKE_INSTALL_FULL_<dir> for a prefix-relative DIR.
full() {
	case "$2" in
	/*) echo "$2" ;;
	*) echo "$1/$2" ;;
	esac
}
# printed PATHS KEY: the value of `KEY: value' in uxld --print-paths output.
printed() { printf '%s\n' "$1" | sed -n "s/^$2: //p"; }
# matches TEXT REGEX / lacks TEXT STRING
matches() { printf '%s\n' "$1" | grep -q -- "$2"; }
lacks() { ! printf '%s\n' "$1" | grep -qF -- "$2"; }

# check_install BUILD DEST: installs BUILD into DESTDIR=DEST and checks it.
check_install() {
	b=$1
	d=$2
	prefix=$(cache "$b" CMAKE_INSTALL_PREFIX /usr/local)
	sysconfdir=$(cache "$b" CMAKE_INSTALL_SYSCONFDIR etc)
	# GNUInstallDirs: a relative SYSCONFDIR is /etc for the prefix /usr, PREFIX/etc otherwise.
	case "$sysconfdir:$prefix" in
	/*) sysconf=$sysconfdir ;;
	*:/usr|*:/usr/) sysconf=/$sysconfdir ;;
	*) sysconf=$prefix/$sysconfdir ;;
	esac
	rcdir=$(full "$prefix" "$(cache "$b" UXL_RC_DIR "$sysconf/rc.d")")
	libexec=$(full "$prefix" "$(cache "$b" CMAKE_INSTALL_LIBEXECDIR libexec)")
	mandir=$(full "$prefix" "$(cache "$b" CMAKE_INSTALL_MANDIR share/man)")
	bindir=$(full "$prefix" "$(cache "$b" CMAKE_INSTALL_BINDIR bin)")
	sbindir=$(full "$prefix" "$(cache "$b" CMAKE_INSTALL_SBINDIR sbin)")
	echo "# prefix $prefix (configuration in $sysconf), DESTDIR=$d"

	if DESTDIR=$d cmake --install "$b" >"$tmp/install.log" 2>&1; then
		ok "DESTDIR=... cmake --install $b"
	else
		cat "$tmp/install.log"
		fail "cmake --install $b"
		return
	fi
	check "nothing was installed outside DESTDIR" \
		sh -c "! grep -v \"^-- Installing: $d\\|^-- Up-to-date: $d\\|^-- Install configuration\" '$tmp/install.log' | grep -q ."

	x "$bindir/uxl"
	x "$sbindir/uxld"
	x "$libexec/uxl/uxl-monitor"
	x "$libexec/uxl/uxl-xml"
	x "$libexec/uxl/uxl-domains"
	x "$rcdir/xencommons"
	x "$rcdir/xendomains"
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
	case "$prefix" in
	/usr|/usr/) check "nothing in /usr/etc (the configuration is in /etc)" [ ! -e "$d/usr/etc" ] ;;
	esac

	# The paths the installed uxld uses are the final ones, and name what was installed.
	paths=$("$d$sbindir/uxld" --print-paths 2>&1)
	echo "$paths" | sed 's/^/#   /'
	config_file=$(printed "$paths" config_file)
	scripts_dir=$(printed "$paths" scripts_dir)
	monitor=$(printed "$paths" monitor)
	check "the installed uxld says it is installed" [ "$(printed "$paths" layout)" = installed ]
	check "the installed uxld reads $sysconf/uxl/uxl.conf" [ "$config_file" = "$sysconf/uxl/uxl.conf" ]
	check "uxld's config_file $config_file is installed" [ -f "$d$config_file" ]
	check "uxld's scripts_dir $scripts_dir holds vif-bridge, vif-route, block" sh -c "
		[ -x '$d$scripts_dir/vif-bridge' ] && [ -x '$d$scripts_dir/vif-route' ] && [ -x '$d$scripts_dir/block' ]"
	check "uxld's monitor $monitor is installed" [ -x "$d$monitor" ]
	check "uxld names no DESTDIR path" lacks "$paths" "$d"

	# uxl, the rc scripts, the units and the completion name the same directories.
	check "the installed uxl runs" "$d$bindir/uxl" help >/dev/null
	out=$(cd "$tmp" && "$d$bindir/uxl" create -n uxl-install-test-none 2>&1)
	check "the installed uxl looks for configs in ., $sysconf/uxl, /etc/xen" \
		matches "$out" "no config named .uxl-install-test-none. in \., $sysconf/uxl, /etc/xen\$"
	# uxl runs the installed uxl-xml for its XML commands (cli/xml_helper.cc): under DESTDIR
	# it is missing from where uxl looks, and uxl says where that is.
	out=$("$d$bindir/uxl" domxml-to-native xen-xl "$tmp/guest.xml" 2>&1)
	check "the installed uxl runs $libexec/uxl/uxl-xml" \
		matches "$out" "cannot run uxl's XML helper $libexec/uxl/uxl-xml: "
	out=$(UXL_XML_HELPER=$d$libexec/uxl/uxl-xml "$d$bindir/uxl" domxml-to-native xen-xl "$tmp/guest.xml" 2>&1)
	check "the installed uxl-xml converts domain XML" matches "$out" "^name = \"install-test\""
	rc_helper=$d$libexec/uxl/uxl-domains
	defaults=$(sed -n 's/^: "${UXL_DOMAINS_DEFAULTS:=\(.*\)}"$/\1/p' "$rc_helper")
	auto=$(sed -n 's/^: "${XENDOMAINS_AUTO:=\(.*\)}"$/\1/p' "$rc_helper")
	check "uxl-domains reads $defaults, which is installed" [ -f "$d$defaults" ]
	check "uxl-domains starts the configs of $auto, which is installed" [ -d "$d$auto" ]
	check "xendomains finds configs in $sysconf/uxl" \
		grep -qxF ": \"\${xendomains_config:=$sysconf/uxl/%s}\"" "$d$rcdir/xendomains"
	check "the completion offers the configs of $sysconf/uxl" \
		grep -q "for d in $sysconf/uxl /etc/xen; do" "$d$prefix/share/bash-completion/completions/uxl"
	check "the installed /etc/default/uxl-domains names $auto" \
		grep -qx "#XENDOMAINS_AUTO=$auto" "$d$defaults"

	# Every xl.conf key uxl knows is in uxl.conf, commented.
	check "uxl.conf lists all 18 xl.conf settings and uxl's hotplug.timeout, qemu.accelerator, guest.uid_range, guest.run_as_root, commented" \
		[ "$(grep -c '^#[a-z][a-z_.]*=' "$d$sysconf/uxl/uxl.conf")" -eq 22 ]

	units=$d$prefix/lib/systemd/system
	check "the units have no @...@ left" sh -c "! grep -q '@' '$units/uxld.service' '$units/uxl-domains.service'"
	check "uxld.service runs $sbindir/uxld, Type=notify, KillMode=process, Restart=on-failure" sh -c "
		grep -qx 'ExecStart=$sbindir/uxld --foreground' '$units/uxld.service' &&
		grep -qx 'Type=notify' '$units/uxld.service' &&
		grep -qx 'KillMode=process' '$units/uxld.service' &&
		grep -qx 'Restart=on-failure' '$units/uxld.service'"
	check "uxl-domains.service: oneshot, after uxld, runs $bindir/uxl, stop timeout above XENDOMAINS_STOP_MAXWAIT" sh -c "
		grep -qx 'Type=oneshot' '$units/uxl-domains.service' &&
		grep -qx 'RemainAfterExit=yes' '$units/uxl-domains.service' &&
		grep -q '^After=uxld.service' '$units/uxl-domains.service' &&
		grep -qx 'Environment=UXL=$bindir/uxl' '$units/uxl-domains.service' &&
		grep -qx 'ExecStop=$libexec/uxl/uxl-domains stop' '$units/uxl-domains.service' &&
		[ \$(sed -n 's/^TimeoutStopSec=//p' '$units/uxl-domains.service') -gt 300 ]"
	if command -v systemd-analyze >/dev/null 2>&1; then
		# Point the units at the DESTDIR binaries so that verify can check them.
		rm -rf "$tmp/units"
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
}
x() { check "$1 is installed and executable" [ -f "$d$1" ] && [ -x "$d$1" ]; }
f() { check "$1 is installed" [ -f "$d$1" ]; }
dir() { check "$1/ exists" [ -d "$d$1" ]; }

# 1. The build as configured.
check_install "$build" "$tmp/dest"

# The paths are compiled in: installing elsewhere with --prefix is refused, not half done.
out=$(DESTDIR=$tmp/other cmake --install "$build" --prefix /opt/elsewhere 2>&1)
check "cmake --install --prefix OTHER is refused" matches "$out" "-DCMAKE_INSTALL_PREFIX=/opt/elsewhere"
check "... before anything is installed" [ ! -e "$tmp/other" ]

# 2. The same tree configured for /usr, next to BUILD_DIR (see the top: ccache).
usr_build=$(mktemp -d "$build-install-test-usr.XXXXXX")
start=$(date +%s)
if cmake -S "$src" -B "$usr_build" -G "$(cache "$build" CMAKE_GENERATOR Ninja)" \
	-DCMAKE_BUILD_TYPE="$(cache "$build" CMAKE_BUILD_TYPE RelWithDebInfo)" \
	-DCMAKE_CXX_COMPILER="$(cache "$build" CMAKE_CXX_COMPILER c++)" \
	-DCMAKE_CXX_FLAGS="$(cache "$build" CMAKE_CXX_FLAGS '')" \
	-DUXL_DEBUG_BUILD_DIR="$(cache "$build" UXL_DEBUG_BUILD_DIR "$build")" \
	-DCMAKE_INSTALL_PREFIX=/usr -DUXL_BUILD_TESTS=OFF >"$tmp/usr-build.log" 2>&1 &&
	cmake --build "$usr_build" -j "$(nproc)" >>"$tmp/usr-build.log" 2>&1; then
	ok "configured and built for the prefix /usr in $(($(date +%s) - start)) s"
	check_install "$usr_build" "$tmp/dest-usr"
else
	tail -n 30 "$tmp/usr-build.log"
	fail "configure and build for the prefix /usr"
fi

# 3. The README's tour: uxld run from the build tree uses the tree's files.
paths=$("$build/daemon/uxld" --print-paths 2>&1)
echo "$paths" | sed 's/^/#   /'
check "build/daemon/uxld says it runs from the build tree" [ "$(printed "$paths" layout)" = build-tree ]
check "build/daemon/uxld reads the tree's etc/uxl.conf" [ "$(printed "$paths" config_file)" = "$src/etc/uxl.conf" ]
check "build/daemon/uxld runs the tree's share/scripts" [ "$(printed "$paths" scripts_dir)" = "$src/share/scripts" ]
check "build/daemon/uxld starts the build's uxl-monitor" [ "$(printed "$paths" monitor)" = "$build/daemon/uxl-monitor" ]
check "the tree's share/scripts holds vif-bridge" [ -x "$src/share/scripts/vif-bridge" ]
out=$("$build/cli/uxl" domxml-to-native xen-xl "$tmp/guest.xml" 2>&1)
check "build/cli/uxl runs the build's uxl-xml" matches "$out" "^name = \"install-test\""
# A copy of the binary elsewhere is not the build tree: it uses the installed paths.
cp "$build/daemon/uxld" "$tmp/uxld"
check "a uxld copied out of the build tree uses the installed paths" \
	[ "$(printed "$("$tmp/uxld" --print-paths)" layout)" = installed ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
