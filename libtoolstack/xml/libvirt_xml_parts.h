// What the libvirt XML files share (see uxl/libvirt_xml.h): the importer, XML → the
// settings of an xl/xm config, and the exporter, config → XML.
#pragma once

#include "uxl/libvirt_xml.h"
#include "xml_tree.h"

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uxl::libvirt {

// One config line the importer makes, and where in the XML it comes from.
struct NativeSetting {
    std::string key;
    std::string value;  // already in config syntax: 1, "text", [ "a", "b" ]
    int xml_line = 0;
};

struct NativeConfig {
    std::vector<NativeSetting> settings;  // in libvirt's key order
    std::vector<std::string> warnings;

    // "key = value\n" per setting.
    std::string text() const;
};

// A string as a config value: double quotes, single ones when it holds '"' and no '\''
// (libvirt's choice), backslash escapes otherwise.
std::string quote(std::string_view text);

// The attribute's value, or "".
std::string attr(const XmlElement& e, std::string_view key);
// The text without leading and trailing blanks.
std::string trimmed(std::string_view text);
// A whole unsigned number (base 16 takes an optional 0x), or nothing.
std::optional<unsigned long long> to_number(std::string_view text, int base = 10);

// Turns a domain XML tree into config settings: see libvirt_xml_import.cc and
// libvirt_xml_devices.cc.
class Importer {
public:
    Importer(std::string_view source, NativeFormat format) : m_source(source), m_format(format) {}

    Result<NativeConfig> run(const XmlElement& root);

private:
    // ---- reporting -----------------------------------------------------------------
    std::string at(const XmlElement& e, std::string_view path) const
    {
        return m_source + ":" + std::to_string(e.line) + ": " + std::string(path);
    }
    Error refuse(const XmlElement& e, std::string_view path, std::string_view what) const
    {
        return Error{Errc::unsupported, at(e, path) + ": " + std::string(what) + " is not supported", m_source};
    }
    Error invalid(const XmlElement& e, std::string_view path, std::string_view what) const
    {
        return Error{Errc::invalid_argument, at(e, path) + ": " + std::string(what), m_source};
    }
    void drop(const XmlElement& e, std::string_view path, std::string_view why)
    {
        m_out.warnings.push_back(at(e, path) + ": " + std::string(why) + "; dropped");
    }
    // Refuses an attribute or a child element the handler does not know.
    Result<void> check_known(const XmlElement& e, std::string_view path,
                             std::initializer_list<std::string_view> attributes,
                             std::initializer_list<std::string_view> children = {}) const;

    // ---- output --------------------------------------------------------------------
    void set(std::string key, std::string value, const XmlElement& e)
    {
        m_settings[key] = NativeSetting{key, std::move(value), e.line};
    }
    void set_string(std::string key, std::string_view value, const XmlElement& e)
    {
        set(std::move(key), quote(value), e);
    }

    // ---- the parts -----------------------------------------------------------------
    Result<void> read_memory(const XmlElement& e, std::string_view path, std::string key);
    Result<void> read_vcpu(const XmlElement& e);
    Result<void> read_os(const XmlElement& e);
    Result<void> read_features(const XmlElement& e);
    Result<void> read_clock(const XmlElement& e);
    Result<void> read_devices(const XmlElement& e);
    Result<void> read_disk(const XmlElement& e);
    Result<void> read_interface(const XmlElement& e);
    Result<void> read_chardev(const XmlElement& e, std::string_view path, std::string& out);
    Result<void> read_graphics(const XmlElement& e);
    Result<void> read_video(const XmlElement& e);
    Result<void> read_hostdev(const XmlElement& e);
    Result<void> read_input(const XmlElement& e);

    std::string m_source;
    NativeFormat m_format;
    NativeConfig m_out;
    std::map<std::string, NativeSetting> m_settings;
    bool m_qemu_style = false;  // <domain type='kvm'|'qemu'>
    bool m_hvm = false;
    std::vector<std::string> m_disks, m_vifs, m_serials, m_pcis, m_usbdevices, m_sounds;
    int m_disk_line = 0, m_vif_line = 0, m_serial_line = 0;
    std::string m_boot;
    std::string m_vfb;  // a PV domain's framebuffer, as xl's vfb= entry
};


// Reads the domain XML tree into config settings. `source` names the file in messages.
Result<NativeConfig> import_domain(const XmlElement& root, std::string_view source, NativeFormat format);

}  // namespace uxl::libvirt
