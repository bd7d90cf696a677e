// Which backend runs a domain whose config names none, and the keys a backend does not
// honour. Pure: the caller reads the kernel file (BuildOptions::classify_kernel).
//
// The rule (doc/config.md): `backend =` wins; otherwise a full machine (type = "hvm", or
// xm's builder = "hvm") runs on QEMU, a PV or PVH kernel that is a machine kernel image (a
// Linux bzImage, a kernel ELF, a compressed kernel) boots directly on QEMU, and a kernel
// that is a program (a User-Mode Linux executable) runs as one, on UML.
#pragma once

#include "uxl/domain_spec.h"

#include <string>
#include <string_view>

namespace uxl {

class ConfigReader;

enum class KernelImage {
    unknown,         // unreadable, or not a format uxl knows
    user_program,    // an ELF program for the host (UML's linux executable)
    machine_kernel,  // bzImage, a kernel ELF (Linux vmlinux, NetBSD), gzip/xz/bzip2/zstd data
};

// What a kernel file is, from its first bytes (4 KiB is enough: the ELF and program
// headers, or a bzImage's setup header).
KernelImage classify_kernel_image(std::string_view head);

struct BackendChoice {
    BackendKind kind = BackendKind::uml;
    std::string reason;  // one clause: "type = \"hvm\" is a full machine"
};

// The backend for a config that sets no `backend`, from its type and kernel.
BackendChoice choose_backend(const DomainSpec& spec, KernelImage kernel);

// One warning for each key the config sets that `spec.backend` does not honour, naming the
// key and why; the key is ignored, as before, but never silently.
// `source` names the config in xl's "FILE:LINE: warning: ..." text.
void warn_unhonoured_keys(ConfigReader& reader, const DomainSpec& spec, std::string_view source);

}  // namespace uxl
