#!/bin/sh
# The shipped hotplug scripts (share/scripts) against real devices: vif-bridge and
# vif-route inside a network namespace this test creates (uxlt-<random>) and always deletes,
# block with a 4 MiB image on a loop device. Needs root; exits 77 (skip) otherwise.
# Usage: hotplug_scripts_test.sh [SCRIPTS_DIR]. Last line: "N passed, M failed".
set -u
scripts=${1:-$(cd "$(dirname "$0")/../../share/scripts" && pwd)}
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v losetup >/dev/null; then
    echo "SKIP: needs root, ip and losetup"
    exit 77
fi

ns=uxlt-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
tmp=$(mktemp -d /tmp/uxl-hotplug-test.XXXXXX)
state=$tmp/state
pwned=/tmp/uxl-pwned-$$
passed=0
failed=0

cleanup() {
    ip netns del "$ns" 2>/dev/null
    for f in "$state"/*; do
        [ -f "$f" ] || continue
        read -r loop <"$f" && losetup -d "$loop" 2>/dev/null
    done
    rm -rf -- "$tmp" "$pwned"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

in_ns() { ip netns exec "$ns" "$@"; }

check() {  # check NAME COMMAND...: one behaviour
    name=$1
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok - $name"
    else
        failed=$((failed + 1))
        echo "FAIL - $name"
    fi
}

master_of() { basename "$(in_ns readlink "/sys/class/net/$1/master" 2>/dev/null)" 2>/dev/null; }
is_up() { in_ns ip -o link show dev "$1" | grep -q '[<,]UP[,>]'; }

ip netns add "$ns" || { echo "cannot create network namespace $ns"; exit 1; }
in_ns ip link set lo up
in_ns ip link add br0 type bridge
in_ns ip link set br0 mtu 1400
in_ns ip link set br0 up
in_ns ip tuntap add dev vif1.0 mode tap
in_ns ip tuntap add dev vif2.0 mode tap

# --- vif-bridge ---------------------------------------------------------------------------
t_up() {
    in_ns "$scripts/vif-bridge" up domain=guest1 vif=vif1.0 mac=00:16:3e:00:00:01 bridge=br0 2>"$tmp/err" &&
        [ "$(master_of vif1.0)" = br0 ] && is_up vif1.0 &&
        [ "$(in_ns cat /sys/class/net/vif1.0/mtu)" = 1400 ]
}
check "vif-bridge up puts the vif on the bridge, up, with the bridge's MTU" t_up

t_down() {
    in_ns "$scripts/vif-bridge" down domain=guest1 vif=vif1.0 bridge=br0 &&
        [ -z "$(master_of vif1.0)" ] && ! is_up vif1.0
}
check "vif-bridge down takes it off the bridge and down" t_down

t_env() {
    in_ns env vif=vif2.0 bridge=br0 domid=2 devid=0 "$scripts/vif-bridge" online type_if=vif 2>/dev/null &&
        [ "$(master_of vif2.0)" = br0 ] &&
        in_ns env vif=vif2.0 bridge=br0 "$scripts/vif-bridge" offline && [ -z "$(master_of vif2.0)" ]
}
check "vif-bridge takes its values from the environment (online/offline)" t_env

t_down_missing() { in_ns "$scripts/vif-bridge" down vif=vif9.9 bridge=br0 2>/dev/null; }
check "vif-bridge down of a missing device succeeds" t_down_missing

t_no_bridge() {
    in_ns "$scripts/vif-bridge" up vif=vif1.0 bridge=nosuchbr 2>"$tmp/err"
    rc=$?
    [ $rc = 1 ] && grep -q "Could not find bridge device nosuchbr" "$tmp/err" && [ -z "$(master_of vif1.0)" ]
}
check "vif-bridge up with a missing bridge says so and exits 1" t_no_bridge

t_metachar_bridge() {
    bad="br;touch $pwned"
    in_ns "$scripts/vif-bridge" up vif=vif1.0 "bridge=$bad" 2>"$tmp/err"
    rc1=$?
    bad2="\$(touch $pwned)\`touch $pwned\`"
    in_ns env "bridge=$bad2" vif=vif1.0 "$scripts/vif-bridge" up 2>>"$tmp/err"
    rc2=$?
    [ $rc1 = 1 ] && [ $rc2 = 1 ] && [ ! -e "$pwned" ] &&
        grep -qF "Could not find bridge device $bad" "$tmp/err" &&
        grep -qF "Could not find bridge device $bad2" "$tmp/err"
}
check "vif-bridge passes a bridge name full of shell metacharacters literally" t_metachar_bridge

t_literal_bridge() {
    odd='b;$(id)>x`'
    in_ns ip link add "$odd" type bridge &&
        (cd "$tmp" && in_ns "$scripts/vif-bridge" up vif=vif1.0 "bridge=$odd" 2>/dev/null) &&
        [ "$(master_of vif1.0)" = "$odd" ] && [ ! -e "$tmp/x" ] &&
        in_ns "$scripts/vif-bridge" down vif=vif1.0 "bridge=$odd"
}
check "vif-bridge uses a bridge really named with metacharacters, literally" t_literal_bridge

t_unknown_command() { ! in_ns "$scripts/vif-bridge" frobnicate vif=vif1.0 bridge=br0 2>/dev/null; }
check "vif-bridge refuses an unknown command" t_unknown_command

# --- vif-route ----------------------------------------------------------------------------
t_route() {
    in_ns ip link add gw0 type bridge && in_ns ip addr add 192.0.2.1/24 dev gw0 && in_ns ip link set gw0 up &&
        in_ns "$scripts/vif-route" up vif=vif2.0 "ip=192.0.2.10 192.0.2.11" gatewaydev=gw0 2>/dev/null &&
        in_ns ip route show dev vif2.0 | grep -q '^192.0.2.10 ' &&
        in_ns ip route show dev vif2.0 | grep -q '^192.0.2.11 ' &&
        in_ns ip -4 addr show dev vif2.0 | grep -q 'inet 192.0.2.1/32' &&
        in_ns "$scripts/vif-route" down vif=vif2.0 "ip=192.0.2.10 192.0.2.11" &&
        [ -z "$(in_ns ip route show dev vif2.0)" ] && ! is_up vif2.0
}
check "vif-route up routes the guest addresses to the vif; down removes them" t_route

t_route_bad_ip() { ! in_ns "$scripts/vif-route" up vif=vif2.0 "ip=192.0.2.10;reboot" 2>/dev/null; }
check "vif-route refuses an address that is not one" t_route_bad_ip

# --- block --------------------------------------------------------------------------------
truncate -s 4M "$tmp/disk.img"
loops_before=$(losetup -a | wc -l)

t_block_add() {
    loop=$(UXL_BLOCK_STATE_DIR=$state "$scripts/block" add "$tmp/disk.img" w xvda guest1 7 2>/dev/null) &&
        [ -b "$loop" ] && losetup -a | grep -F "$loop:" | grep -qF "$tmp/disk.img" &&
        [ "$(cat "/sys/block/${loop#/dev/}/ro")" = 0 ] &&
        [ "$(UXL_BLOCK_STATE_DIR=$state "$scripts/block" add "$tmp/disk.img" w xvda guest1 7 2>/dev/null)" = "$loop" ] &&
        [ "$(losetup -a | wc -l)" = $((loops_before + 1)) ]
}
check "block add makes one loop device for a file image and prints it (twice the same)" t_block_add

t_block_remove() {
    UXL_BLOCK_STATE_DIR=$state "$scripts/block" remove "$tmp/disk.img" w xvda guest1 7 &&
        [ "$(losetup -a | wc -l)" = "$loops_before" ] && ! losetup -a | grep -qF "$tmp/disk.img" &&
        UXL_BLOCK_STATE_DIR=$state "$scripts/block" remove "$tmp/disk.img" w xvda guest1 7
}
check "block remove detaches it, and a second remove is harmless" t_block_remove

t_block_env_ro() {
    loop=$(env UXL_BLOCK_STATE_DIR="$state" target="$tmp/disk.img" mode=r vdev=xvdb domain=guest1 domid=7 \
        "$scripts/block" add 2>/dev/null) &&
        [ "$(cat "/sys/block/${loop#/dev/}/ro")" = 1 ] &&
        phy=$(UXL_BLOCK_STATE_DIR=$state "$scripts/block" add "$loop" w xvdc guest1 7) && [ "$phy" = "$loop" ] &&
        env UXL_BLOCK_STATE_DIR="$state" vdev=xvdb domid=7 "$scripts/block" remove &&
        [ "$(losetup -a | wc -l)" = "$loops_before" ]
}
check "block takes env values, maps mode r read-only, and passes a block device through" t_block_env_ro

t_block_missing() {
    UXL_BLOCK_STATE_DIR=$state "$scripts/block" add "$tmp/nothing.img" w xvda guest1 7 2>"$tmp/err"
    [ $? = 1 ] && grep -q "does not exist" "$tmp/err"
}
check "block add of a missing file fails with a message" t_block_missing

t_block_bad_vdev() { ! UXL_BLOCK_STATE_DIR=$state "$scripts/block" add "$tmp/disk.img" w "../x" guest1 7 2>/dev/null; }
check "block refuses a vdev that could escape its state directory" t_block_bad_vdev

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
