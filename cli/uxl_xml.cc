// uxl-xml: libvirt domain XML conversions on behalf of `uxl`, which runs it (cli/xml_helper.cc)
// for domxml-from-native, domxml-to-native, dumpxml and `create FILE.xml`. It exists so that
// libxml2 (and ICU's data) stays out of the statically linked `uxl`: only this program links
// toolstack_xml. Installed in LIBEXECDIR/uxl; not meant to be run by hand. The interface:
//
//   uxl-xml to-native xen-xl|xen-xm FILE      the config of the domain XML in FILE, on stdout
//   uxl-xml to-native --numbered FILE         the same (xen-xl), each line as "XMLLINE<TAB>LINE"
//                                             (uxl/xml_config.h), for `uxl create FILE.xml`
//   uxl-xml from-native xen-xl|xen-xm FILE    the domain XML of the config in FILE, on stdout
//   uxl-xml from-libxl-json                   the domain XML of the libxl JSON on stdin (dumpxml)
//
// Warnings go to stderr as "warning: FILE:LINE: ...", in file order; a refusal is one line
// "error: FILE:LINE: ..." on stderr (without "error: " with --numbered, as `uxl create` words
// its errors), and exit status 1. Exit status 0 otherwise, 2 for a usage error. Nothing is
// written to stdout unless the conversion succeeded.
#include "uxl/libvirt_xml.h"
#include "uxl/xml_config.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <unistd.h>

namespace {

using namespace uxl;

constexpr int k_usage = 2;

int usage()
{
    std::fputs("usage: uxl-xml to-native xen-xl|xen-xm|--numbered FILE\n"
               "       uxl-xml from-native xen-xl|xen-xm FILE\n"
               "       uxl-xml from-libxl-json  < JSON\n"
               "(a helper of uxl; see uxl(1))\n",
               stderr);
    return k_usage;
}

bool read_file(const std::string& path, std::string& data)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "error: Failed to open file '%s': %s\n", path.c_str(), std::strerror(errno));
        return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        std::fprintf(stderr, "error: Failed to read file '%s'\n", path.c_str());
        return false;
    }
    data = buffer.str();
    return true;
}

void print_warnings(const std::vector<std::string>& warnings)
{
    for (const std::string& warning : warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
}

std::optional<NativeFormat> format_of(const std::string& name)
{
    auto format = parse_native_format(name);
    if (!format)
        std::fprintf(stderr, "error: unsupported config type %s (expected xen-xl or xen-xm)\n", name.c_str());
    return format;
}

int print(const std::string& text)
{
    std::fputs(text.c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}

int to_native(const std::string& format_name, const std::string& path)
{
    const bool numbered = format_name == "--numbered";
    std::optional<NativeFormat> format = NativeFormat::xen_xl;
    if (!numbered && !(format = format_of(format_name)))
        return 1;
    std::string data;
    if (!read_file(path, data))
        return 1;
    if (numbered) {
        std::vector<std::string> warnings;
        auto config = libvirt_xml_to_xml_config(data, path, warnings);
        print_warnings(warnings);
        if (!config) {
            std::fprintf(stderr, "%s\n", config.error().message.c_str());
            return 1;
        }
        return print(numbered_config(*config));
    }
    auto config = libvirt_xml_to_native(data, path, *format);
    if (!config) {
        std::fprintf(stderr, "error: %s\n", config.error().message.c_str());
        return 1;
    }
    print_warnings(config->warnings);
    return print(config->text);
}

int from_native(const std::string& format_name, const std::string& path)
{
    const auto format = format_of(format_name);
    if (!format)
        return 1;
    std::string data;
    if (!read_file(path, data))
        return 1;
    BuildOptions options;
    options.config_path = path;
    const long cpus = ::sysconf(_SC_NPROCESSORS_CONF);
    options.host_cpus = cpus > 0 ? static_cast<int>(cpus) : 1;
    auto xml = native_to_libvirt_xml(data, path, *format, options);
    if (!xml) {
        std::fprintf(stderr, "error: %s\n", xml.error().message.c_str());
        return 1;
    }
    print_warnings(xml->warnings);
    return print(xml->text);
}

int from_libxl_json()
{
    const std::string json{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
    auto spec = domain_spec_from_libxl_json(json);
    if (!spec) {
        std::fprintf(stderr, "error: libxl JSON: %s\n", spec.error().message.c_str());
        return 1;
    }
    return print(domain_spec_to_libvirt_xml(*spec));
}

}  // namespace

int main(int argc, char** argv)
{
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "to-native")
        return to_native(args[1], args[2]);
    if (args.size() == 3 && args[0] == "from-native")
        return from_native(args[1], args[2]);
    if (args.size() == 1 && args[0] == "from-libxl-json")
        return from_libxl_json();
    return usage();
}
