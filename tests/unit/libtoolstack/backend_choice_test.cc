// The backend choice for configs without `backend =`, from the kernel file's first bytes,
// and the warnings for keys a backend does not honour.
#include "uxl/backend_choice.h"

#include "uxl/config_check.h"
#include "uxl/config_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

namespace uxl {
namespace {

std::string file_head(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head;
}

// A 64-bit little-endian ELF header with one program header.
std::string elf64(unsigned type, std::uint64_t entry, unsigned p_type, std::uint64_t vaddr, std::uint64_t paddr)
{
    std::string h(64 + 56, '\0');
    auto put = [&](std::size_t at, std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i)
            h[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
    };
    h[0] = 0x7f, h[1] = 'E', h[2] = 'L', h[3] = 'F', h[4] = 2, h[5] = 1, h[6] = 1;
    put(16, type, 2);
    put(24, entry, 8);
    put(32, 64, 8);  // e_phoff
    put(54, 56, 2);  // e_phentsize
    put(56, 1, 2);   // e_phnum
    put(64, p_type, 4);
    put(64 + 16, vaddr, 8);
    put(64 + 24, paddr, 8);
    return h;
}

TEST(ClassifyKernelImage, TheInstalledUmlIsAProgram)
{
    if (::access("/usr/bin/linux", R_OK) != 0)
        GTEST_SKIP() << "user-mode-linux is not installed";
    EXPECT_EQ(classify_kernel_image(file_head("/usr/bin/linux")), KernelImage::user_program);
}

TEST(ClassifyKernelImage, ElfProgramsAndKernels)
{
    // A dynamically linked program (PT_INTERP), and a static one loading where it runs.
    EXPECT_EQ(classify_kernel_image(elf64(2, 0x6002a520, 3, 0x600002a8, 0x600002a8)), KernelImage::user_program);
    EXPECT_EQ(classify_kernel_image(elf64(2, 0x401000, 1, 0x400000, 0x400000)), KernelImage::user_program);
    EXPECT_EQ(classify_kernel_image(elf64(3, 0x1040, 1, 0, 0)), KernelImage::user_program);
    // vmlinux: loaded at 16 MiB physical, linked at the top of the address space.
    EXPECT_EQ(classify_kernel_image(elf64(2, 0x1000000, 1, 0xffffffff81000000, 0x1000000)),
              KernelImage::machine_kernel);
    // A NetBSD amd64 kernel enters in the kernel half.
    EXPECT_EQ(classify_kernel_image(elf64(2, 0xffffffff80200000, 1, 0xffffffff80200000, 0xffffffff80200000)),
              KernelImage::machine_kernel);
}

TEST(ClassifyKernelImage, BzImageAndCompressedKernels)
{
    std::string bz(0x300, '\0');
    bz.replace(0x202, 4, "HdrS");
    EXPECT_EQ(classify_kernel_image(bz), KernelImage::machine_kernel);
    EXPECT_EQ(classify_kernel_image(std::string("\x1f\x8b\x08\x00", 4)), KernelImage::machine_kernel);
    EXPECT_EQ(classify_kernel_image(std::string("\xfd" "7zXZ\0", 6)), KernelImage::machine_kernel);
    EXPECT_EQ(classify_kernel_image(""), KernelImage::unknown);
    EXPECT_EQ(classify_kernel_image("#!/bin/sh\n"), KernelImage::unknown);
    EXPECT_EQ(classify_kernel_image(std::string("\x7f" "ELF", 4)), KernelImage::unknown);  // truncated
}

// check_config with kernel files served from a map.
CheckReport check(const std::string& text, std::map<std::string, std::string> files = {})
{
    CheckOptions options;
    options.config_path = "t.cfg";
    options.read_kernel_head = [files](const std::string& path) -> std::optional<std::string> {
        auto it = files.find(path);
        if (it == files.end())
            return std::nullopt;
        return it->second;
    };
    return check_config(text, "t.cfg", options);
}

TEST(ChooseBackend, BackendKeyWins)
{
    EXPECT_EQ(check("name=\"a\"\ntype=\"hvm\"\nbackend=\"uml\"\n").backend, "uml: backend = \"uml\"");
}

TEST(ChooseBackend, HvmAndBuilderHvmMeanQemu)
{
    EXPECT_EQ(check("name=\"a\"\ntype=\"hvm\"\n").backend, "qemu: type = \"hvm\" is a full machine");
    EXPECT_EQ(check("name=\"a\"\nbuilder=\"hvm\"\n").backend, "qemu: type = \"hvm\" is a full machine");
}

TEST(ChooseBackend, ThePvKernelDecides)
{
    std::string bz(0x300, '\0');
    bz.replace(0x202, 4, "HdrS");
    const std::string program = elf64(2, 0x6002a520, 3, 0x600002a8, 0x600002a8);
    std::map<std::string, std::string> files{{"/boot/vmlinuz", bz}, {"/usr/bin/linux", program}};
    EXPECT_EQ(check("name=\"a\"\nkernel=\"/boot/vmlinuz\"\n", files).backend,
              "qemu: kernel /boot/vmlinuz is a kernel image, booted directly");
    EXPECT_EQ(check("name=\"a\"\ntype=\"pvh\"\nkernel=\"/boot/vmlinuz\"\n", files).backend,
              "qemu: kernel /boot/vmlinuz is a kernel image, booted directly");
    EXPECT_EQ(check("name=\"a\"\nkernel=\"/usr/bin/linux\"\n", files).backend,
              "uml: kernel /usr/bin/linux is a User-Mode Linux executable");
    EXPECT_EQ(check("name=\"a\"\nkernel=\"/nowhere/linux\"\n", files).backend,
              "uml: kernel /nowhere/linux could not be read or recognised (uml is the default)");
}

TEST(UnhonouredKeys, AreWarnedAboutNamingTheKeyAndTheBackend)
{
    CheckReport r = check("name=\"a\"\nkernel=\"/usr/bin/linux\"\nvfb=[\"vnc=1\"]\nserial=\"pty\"\nlocaltime=1\n");
    const std::string text = r.render("");
    EXPECT_FALSE(r.clean());
    EXPECT_NE(text.find("vfb is ignored by the uml backend: a User-Mode Linux guest has no framebuffer"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("serial is ignored by the uml backend"), std::string::npos) << text;
    EXPECT_NE(text.find("localtime is ignored by the uml backend"), std::string::npos) << text;

    r = check("name=\"a\"\ntype=\"hvm\"\nvnc=1\nsdl=1\n");
    const std::string hvm = r.render("");
    EXPECT_EQ(hvm.find("vnc is ignored"), std::string::npos) << "QEMU gives HVM guests VNC:\n" << hvm;
    EXPECT_NE(hvm.find("sdl is ignored by the qemu backend: uxl runs guests from a daemon"), std::string::npos)
        << hvm;
    r = check("name=\"a\"\ntype=\"hvm\"\nviridian=1\nstdvga=1\nsoundhw=\"hda\"\nrtc_timeoffset=5\n");
    const std::string machine = r.render("");
    EXPECT_NE(machine.find("viridian is ignored by the qemu backend: QEMU gives Hyper-V enlightenments only under KVM"),
              std::string::npos)
        << machine;
    for (const char* mapped : {"stdvga is", "soundhw is", "rtc_timeoffset is"})
        EXPECT_EQ(machine.find(mapped), std::string::npos) << mapped << " is mapped for HVM:\n" << machine;
    r = check("name=\"a\"\nbackend=\"qemu\"\nkernel=\"/k\"\nstdvga=1\npae=0\n");
    const std::string pv_machine = r.render("");
    EXPECT_NE(pv_machine.find("stdvga is ignored by the qemu backend: it applies to HVM guests only"), std::string::npos)
        << pv_machine;
    EXPECT_NE(pv_machine.find("pae is ignored by the qemu backend"), std::string::npos) << pv_machine;
    r = check("name=\"a\"\nbackend=\"qemu\"\nkernel=\"/k\"\nvnc=1\nvfb=[\"vnc=1\"]\n");
    const std::string pv = r.render("");
    EXPECT_NE(pv.find("vnc is ignored by the qemu backend: uxl gives only HVM guests a display"), std::string::npos)
        << pv;
    EXPECT_NE(pv.find("vfb is ignored by the qemu backend"), std::string::npos) << pv;
}

TEST(UnhonouredKeys, CreateSeesThemInXlsWords)
{
    ParseOutcome parsed = parse_config("name=\"a\"\nkernel=\"/usr/bin/linux\"\nvnc=1\n", "w.cfg");
    ASSERT_TRUE(parsed.ok());
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);
    BuildOptions build;
    ASSERT_TRUE(build_domain_spec(reader, build).has_value());
    EXPECT_EQ(diagnostics.xl_report(),
              "w.cfg:3: warning: vnc is ignored by the uml backend: a User-Mode Linux guest has no framebuffer, "
              "keyboard or mouse\n");
}

}  // namespace
}  // namespace uxl
