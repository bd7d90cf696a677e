#!/bin/sh
# Writes a 1 MiB disk image whose boot sector prints "uxl boot sector up" on COM1 (the
# serial port, an HVM guest's console) and halts: the smallest HVM guest there is, for
# share/examples/qemu-hvm and the QEMU integration tests.
#
#   build-hvm-disk.sh OUTPUT
#
# The code (16-bit real mode, loaded at 0x7c00 by the BIOS):
#   cli; xor ax,ax; mov ds,ax; mov si,msg; mov dx,0x3f8
#   next: lodsb; test al,al; jz done; out dx,al; jmp next
#   done: hlt; jmp done
#   msg: "uxl boot sector up\r\n", 0
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTPUT" >&2; exit 2; }
out=$1
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
head -c 1048576 /dev/zero >"$tmp"
# printf's octal escapes: the code, then the message and its NUL.
printf '\372\061\300\216\330\276\026\174\272\370\003\254\204\300\164\003\356\353\370\364\353\375uxl boot sector up\r\n\000' |
    dd of="$tmp" conv=notrunc status=none
printf '\125\252' | dd of="$tmp" bs=1 seek=510 conv=notrunc status=none
mv "$tmp" "$out"
trap - EXIT
