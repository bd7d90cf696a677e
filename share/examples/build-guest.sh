#!/bin/sh
# Builds the example uxl guest: a gzip'd newc cpio initramfs holding a static busybox, for
# Debian's User-Mode Linux kernel (/usr/bin/linux). The example domain config
# (share/examples/example) boots it.
#
#   build-guest.sh [OUTPUT]     default OUTPUT: /var/lib/uxl/images/example-initramfs.cpio.gz
#   build-guest.sh --modules MODDIR [--agent QEMU_GA] [OUTPUT]
#                               the same guest for QEMU (default OUTPUT:
#                               /var/lib/uxl/images/example-qemu-initramfs.cpio.gz)
#
# Needs the Debian packages busybox-static, cpio and gzip. Runs as root or as a normal user (the
# archive records every file as owned by root either way). Idempotent: the same busybox gives a
# byte-identical image (fixed mtimes, sorted entries, gzip -n; SOURCE_DATE_EPOCH sets the mtime).
# The image is written next to OUTPUT and renamed into place, so OUTPUT is never half-written.
#
# The guest: busybox init runs /etc/inittab, which mounts proc, sysfs, devtmpfs and a tmpfs on
# /tmp, sets the hostname, runs /etc/rc.net (loopback, and eth0 from `ip=ADDR/PREFIX' on the kernel
# command line), prints "uxl example guest: up (uptime <seconds>)" on the console, writes
# "guest-init-up" to /proc/mconsole when UML's notify channel is configured, and keeps a shell on
# the console. mconsole `cad' (Ctrl-Alt-Del) powers it off cleanly: the console shows
# "uxl example guest: powering off" and UML exits with status 0.
#
# --modules MODDIR builds it for QEMU with a Debian kernel (share/examples/fetch-kernel.sh puts
# one in DIR/vmlinuz and its modules in MODDIR=DIR/lib/modules/<version>): the image also holds
# the modules in $GUEST_MODULES (default below) and everything they depend on, read from each
# module's depends= (Debian's package has no modules.dep); modules built into the kernel
# (modules.builtin) are skipped. Its /init loads them (in dependency order, listed in
# /etc/modules) before it becomes busybox init, so a virtio console (console=hvc0) exists by the
# time init opens /dev/console; init then runs the same inittab, plus busybox acpid before the
# banner: the ACPI power button (QMP system_powerdown) does what Ctrl-Alt-Del does (/etc/rc.cad:
# power off, or reboot with uxl.cad=reboot). With QEMU's `-device pvpanic' a kernel panic (e.g.
# `echo c >/proc/sysrq-trigger') reaches QEMU as GUEST_PANICKED. Without --modules the image is
# byte for byte what it was before --modules existed.
#
# --agent QEMU_GA (with --modules) adds the QEMU guest agent, e.g. the usr/sbin/qemu-ga that
# fetch-kernel.sh unpacks, with the host libraries it links against (ldd): init starts it on
# the virtio-serial port org.qemu.guest_agent.0 that uxl gives every QEMU guest, unless the
# kernel command line says uxl.agent=0. Its guest-shutdown runs /sbin/shutdown, here a script
# that powers off, halts or reboots as asked.
set -eu

usage() {
    echo "usage: $0 [--modules MODDIR [--agent QEMU_GA]] [OUTPUT]" >&2
    echo "  builds the example guest initramfs (default OUTPUT $default_uml_output)" >&2
    echo "  --modules MODDIR: for QEMU, with modules from MODDIR, a lib/modules/<version>" >&2
    echo "    (default OUTPUT $default_qemu_output)" >&2
    echo "  --agent QEMU_GA: with the QEMU guest agent (and the libraries it needs)" >&2
    exit 2
}

default_uml_output=/var/lib/uxl/images/example-initramfs.cpio.gz
default_qemu_output=/var/lib/uxl/images/example-qemu-initramfs.cpio.gz
default_output=$default_uml_output
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-0}
# What the QEMU guest loads: the ACPI power button (button, and evdev for acpid to read it),
# pvpanic for QEMU's ISA `-device pvpanic' (pvpanic-mmio binds its ACPI QEMU0001 device), virtio
# over PCI (pc, q35) and MMIO (microvm), and the virtio console, disk, network and balloon.
guest_modules=${GUEST_MODULES:-button evdev pvpanic-mmio virtio_pci virtio_mmio virtio_console virtio_blk virtio_net virtio_balloon virtio_scsi ata_piix sd_mod sr_mod}

moddir=
agent=
if [ $# -ge 1 ] && [ "$1" = --modules ]; then
    [ $# -ge 2 ] || usage
    moddir=$2
    default_output=$default_qemu_output
    shift 2
    if [ $# -ge 1 ] && [ "$1" = --agent ]; then
        [ $# -ge 2 ] || usage
        agent=$2
        shift 2
    fi
fi
case $# in
    0) output=$default_output ;;
    1) case $1 in -h|--help|-*) usage ;; esac; output=$1 ;;
    *) usage ;;
esac

umask 022
export LC_ALL=C

die() {
    echo "$0: $*" >&2
    exit 1
}

for tool in cpio gzip find sort touch; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install cpio gzip)"
done
[ -x "$busybox" ] || die "$busybox not found (apt-get install busybox-static)"
# The guest has no libc: refuse a dynamically linked busybox (Debian's `busybox' package).
if command -v ldd >/dev/null 2>&1 && ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked; install busybox-static (or set BUSYBOX=)"
fi
if [ -n "$moddir" ]; then
    [ -f "$moddir/modules.order" ] || die "$moddir: no modules.order (not a lib/modules/<version> directory)"
    moddir=$(cd "$moddir" && pwd)
fi
if [ -n "$agent" ]; then
    [ -x "$agent" ] || die "$agent: no such executable (the guest agent, qemu-ga)"
    command -v ldd >/dev/null 2>&1 || die "ldd not found (it lists the libraries $agent needs)"
    ldd "$agent" >/dev/null 2>&1 || die "$agent: ldd cannot list its libraries"
    missing_libs=$(ldd "$agent" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
    [ -z "$missing_libs" ] || die "$agent needs libraries this host lacks: $missing_libs"
fi

outdir=$(dirname -- "$output")
mkdir -p -- "$outdir" || die "cannot create $outdir"
tmpout=$output.tmp.$$
work=

cleanup() {
    [ -z "$work" ] || rm -rf -- "$work"
    rm -f -- "$tmpout"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

work=$(mktemp -d "${TMPDIR:-/tmp}/uxl-guest.XXXXXX")
root=$work/root

mkdir -p "$root"
for d in bin sbin usr/bin usr/sbin etc dev proc sys tmp run root mnt var; do
    mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
ln -s ../run "$root/var/run"

cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
# `busybox --install -s', done by hand so nothing touches the host: one absolute symlink per
# applet, at the path busybox itself would use.
"$busybox" --list-full | while IFS= read -r applet; do
    case $applet in ''|/*|*..*) continue ;; esac
    if [ -e "$root/$applet" ] || [ -L "$root/$applet" ]; then
        continue
    fi
    case $applet in */*) mkdir -p "$root/${applet%/*}" ;; esac
    ln -s /bin/busybox "$root/$applet"
done
[ -L "$root/sbin/init" ] || die "$busybox has no init applet"
# The kernel runs /init from an initramfs; busybox picks the applet from argv[0] ("init").
ln -s bin/busybox "$root/init"

cat >"$root/etc/inittab" <<'EOF'
# /etc/inittab of the uxl example guest (busybox init). Fields: id:runlevels:action:process;
# an empty id means the console.
::sysinit:/bin/mount -t proc proc /proc
::sysinit:/bin/mount -t sysfs sysfs /sys
::sysinit:/bin/sh -c 'if grep -qw devtmpfs /proc/filesystems; then mount -t devtmpfs devtmpfs /dev; fi'
::sysinit:/bin/mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
::sysinit:/bin/hostname -F /etc/hostname
::sysinit:/etc/rc.net
EOF
if [ -n "$moddir" ]; then
    cat >>"$root/etc/inittab" <<'EOF'
# QEMU: acpid runs /etc/acpi/PWRF/00000080 when the ACPI power button is pressed (it logs, and
# its handlers' output goes, to /tmp/acpid.log; the default /var/log does not exist).
::sysinit:/sbin/acpid -l /tmp/acpid.log
EOF
fi
if [ -n "$agent" ]; then
    cat >>"$root/etc/inittab" <<'EOF'
# The QEMU guest agent, on its virtio-serial port.
::sysinit:/etc/rc.agent
EOF
fi
cat >>"$root/etc/inittab" <<'EOF'
::sysinit:/bin/sh -c 'read up idle </proc/uptime; echo "uxl example guest: up (uptime $up)"'
# UML's notify channel (mconsole=notify:SOCKET): tells the host that init is up.
::sysinit:/bin/sh -c 'if [ -e /proc/mconsole ]; then echo guest-init-up >/proc/mconsole; fi'

# A shell on the console, with the console's tty as its controlling terminal (job control, ^C).
::respawn:/bin/cttyhack /bin/sh -l

# mconsole `cad' sends Ctrl-Alt-Del: power off cleanly (UML then exits with status 0).
# (busybox puts poweroff in /sbin; /bin/poweroff does not exist.)
::ctrlaltdel:/etc/rc.cad
::shutdown:/bin/echo "uxl example guest: powering off"
::shutdown:/bin/sync
::shutdown:/bin/sh -c 'umount -a -r 2>/dev/null; :'
EOF

echo example >"$root/etc/hostname"

# Ctrl-Alt-Del (what `uxl shutdown' sends) powers the guest off. With uxl.cad=reboot on the
# kernel command line it reboots instead, as systemd's default ctrl-alt-del.target does:
# uxl's tests use that to check that a shutdown still ends powered off.
cat >"$root/etc/rc.cad" <<'EOF'
#!/bin/sh
for arg in $(cat /proc/cmdline); do
    [ "$arg" = uxl.cad=reboot ] && exec /sbin/reboot
done
exec /sbin/poweroff
EOF
chmod 0755 "$root/etc/rc.cad"

cat >"$root/etc/rc.net" <<'EOF'
#!/bin/sh
# Network setup of the uxl example guest: brings up loopback and, if the kernel command line has
# ip=ADDR/PREFIX (IPv4 or IPv6), puts that address on the first network interface (eth0 for
# UML's tuntap transport, vec0 for its vector transport) and brings it up. Other forms of ip=
# (the kernel's ip=client:server:gw:...) are ignored.
ip link set lo up
addr=
for arg in $(cat /proc/cmdline); do
    case $arg in
        ip=*/*) addr=${arg#ip=} ;;
    esac
done
[ -n "$addr" ] || exit 0
prefix=${addr##*/}
case $prefix in
    ''|*[!0-9]*) echo "rc.net: ignoring ip=$addr (not ADDR/PREFIX)" >&2; exit 0 ;;
esac
for dev in eth0 vec0; do
    if ip link show "$dev" >/dev/null 2>&1; then
        ip addr add "$addr" dev "$dev" && ip link set "$dev" up
        exit 0
    fi
done
echo "rc.net: ip=$addr given but no network interface" >&2
EOF
chmod 0755 "$root/etc/rc.net"

cat >"$root/etc/profile" <<'EOF'
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
export PS1='\h:\w\$ '
EOF
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

# QEMU: the modules, the /init that loads them, and the power button's handler.
if [ -n "$moddir" ]; then
    version=${moddir##*/}

    # module_re NAME: matches NAME's line in modules.order or modules.builtin (kernel/.../NAME.ko,
    # where - and _ in the file name are the same).
    module_re() {
        echo "/$(echo "$1" | sed 's/[-_]/[-_]/g')\.ko\$"
    }
    # path_of NAME: the module's path in modules.order; empty if there is none.
    path_of() {
        grep -E "$(module_re "$1")" "$moddir/modules.order" | head -n 1
    }
    # depends_of PATH: the modules PATH needs, from its .modinfo section ("depends=a,b").
    depends_of() {
        tr '\0' '\n' <"$moddir/$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '
    }

    # The wanted modules and everything they depend on (once each, as paths), a round of
    # dependencies at a time.
    todo=$guest_modules
    all=
    while [ -n "$todo" ]; do
        next=
        for name in $todo; do
            path=$(path_of "$name")
            if [ -z "$path" ]; then
                if grep -Eq "$(module_re "$name")" "$moddir/modules.builtin"; then
                    continue
                fi
                die "no module $name in $moddir"
            fi
            [ -f "$moddir/$path" ] || die "no $moddir/$path (compressed modules are not supported)"
            case " $all " in *" $path "*) continue ;; esac
            all="$all $path"
            for dep in $(depends_of "$path"); do
                next="$next $dep"
            done
        done
        todo=$next
    done

    # Dependency order: a module once all it depends on is listed (modules.order breaks ties,
    # so the order is stable).
    order=
    left=$(for path in $all; do echo "$path"; done | sort)
    while [ -n "$left" ]; do
        next=
        progress=
        for path in $left; do
            ready=1
            for dep in $(depends_of "$path"); do
                dep=$(path_of "$dep")
                [ -n "$dep" ] || continue
                case " $order " in *" $dep "*) ;; *) ready= ;; esac
            done
            if [ -n "$ready" ]; then
                order="$order $path"
                progress=1
            else
                next="$next $path"
            fi
        done
        [ -n "$progress" ] || die "circular module dependencies among:$next"
        left=$next
    done

    : >"$root/etc/modules"
    for path in $order; do
        mkdir -p "$root/lib/modules/$version/${path%/*}"
        cp "$moddir/$path" "$root/lib/modules/$version/$path"
        chmod 0644 "$root/lib/modules/$version/$path"
        echo "/lib/modules/$version/$path" >>"$root/etc/modules"
    done

    rm -f "$root/init"
    cat >"$root/init" <<'EOF'
#!/bin/sh
# /init of the uxl example guest for QEMU: loads the modules listed in /etc/modules (in that,
# dependency, order), then becomes busybox init. The kernel could not open /dev/console if
# console= names a virtio console (hvc0) whose driver is one of these modules, so the console
# is opened again once they are loaded. No /dev or /proc yet: inittab mounts them.
failed=
while read -r ko; do
    insmod "$ko" || failed="$failed ${ko##*/}"
done </etc/modules
if (exec 3<>/dev/console); then
    exec </dev/console >/dev/console 2>&1
fi
[ -z "$failed" ] || echo "init: could not load$failed"
exec /sbin/init
EOF
    chmod 0755 "$root/init"

    # busybox acpid: the power button event (KEY_POWER) runs /etc/acpi/PWRF/00000080.
    mkdir -p "$root/etc/acpi/PWRF"
    cat >"$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
# The ACPI power button (QMP system_powerdown) does what Ctrl-Alt-Del does.
exec /etc/rc.cad
EOF
    chmod 0755 "$root/etc/acpi/PWRF/00000080"
fi

# The guest agent, its libraries (at the paths ldd names), its start and its /sbin/shutdown.
if [ -n "$agent" ]; then
    mkdir -p "$root/usr/sbin"
    cp "$agent" "$root/usr/sbin/qemu-ga"
    chmod 0755 "$root/usr/sbin/qemu-ga"
    for lib in $(ldd "$agent" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
        mkdir -p "$root${lib%/*}"
        cp -L "$lib" "$root$lib"
        chmod 0755 "$root$lib"
    done

    cat >"$root/etc/rc.agent" <<'EOF'
#!/bin/sh
# Starts the QEMU guest agent on the virtio-serial port QEMU names org.qemu.guest_agent.0
# (udev would make /dev/virtio-ports/NAME; there is no udev here), unless the kernel command
# line says uxl.agent=0.
for arg in $(cat /proc/cmdline); do
    [ "$arg" = uxl.agent=0 ] && exit 0
done
for port in /sys/class/virtio-ports/*; do
    [ "$(cat "$port/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] || continue
    mkdir -p /dev/virtio-ports
    ln -sf "/dev/${port##*/}" /dev/virtio-ports/org.qemu.guest_agent.0
    exec /usr/sbin/qemu-ga -d -l /tmp/qemu-ga.log
done
echo "rc.agent: no org.qemu.guest_agent.0 port; the guest agent does not run"
EOF
    chmod 0755 "$root/etc/rc.agent"

    # qemu-ga's guest-shutdown runs `/sbin/shutdown -h -P|-H|-r +0 MESSAGE'; busybox has no
    # shutdown, but its poweroff, halt and reboot do what each asks.
    rm -f "$root/sbin/shutdown"
    cat >"$root/sbin/shutdown" <<'EOF'
#!/bin/sh
# shutdown for the QEMU guest agent: -P powers off, -H halts, -r reboots (the time and the
# message are ignored: it happens now).
action=poweroff
for arg in "$@"; do
    case $arg in
        -r) action=reboot ;;
        -H) action=halt ;;
        -P) action=poweroff ;;
    esac
done
echo "uxl example guest: shutdown -> $action" >/dev/console
exec /sbin/$action
EOF
    chmod 0755 "$root/sbin/shutdown"
fi

# Reproducible: fixed mtimes, sorted entries, root ownership, no gzip name or timestamp.
find "$root" -exec touch -h -d "@$epoch" {} +
(cd "$root" && find . | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) | gzip -9 -n >"$tmpout"
mv -f -- "$tmpout" "$output"
echo "$output: $(wc -c <"$output" | tr -d ' ') bytes"
