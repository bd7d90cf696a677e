// build_domain_spec(): a DomainSpec from a parsed config, as xl's parse_config_data()
// (tools/xl/xl_parse.c) and create_domain() (xl_vmcontrol.c) build a libxl_domain_config.
//
// The keys are read in xl's order, so that warnings come out in xl's order:
//  1. type, builder (prefix-matched, as xl does), name, uuid, pool;
//  2. cpu_weight, cap, memory, maxmem, vcpus, maxvcpus, then the maxvcpus < vcpus check;
//  3. cpus, cpus_soft (CPULIST, cpu_list.h);
//  4. on_poweroff, on_reboot, on_watchdog, on_crash, on_soft_reset;
//  5. pci_msitranslate, pci_power_mgmt, pci_permissive, pci_seize, pci;
//  6. kernel, ramdisk, cmdline/root/extra, bootloader, bootloader_args, and for PV/PVH the
//     "Neither kernel nor bootloader" check;
//  7. disk, vif;
//  8. what xl does not read: xm's `nics`; then acpi and the HVM settings (hvm_settings.h)
//     and uxl's `backend`;
//  9. create_domain()'s check that no vCPU is left without a CPU to run on;
// 10. uxl's own: every text the spec keeps is UTF-8, since its JSON must carry it.
// A malformed number only warns and keeps the default (ConfigReader); the cases where xl
// exits return an Error with xl's text.
#include "uxl/domain_spec.h"

#include "uxl/backend_choice.h"
#include "uxl/cpu_list.h"

#include "hvm_settings.h"
#include "utf8.h"

#include <algorithm>

namespace uxl {

// ---------------------------------------------------------------------------------------
// The builder.

namespace {

// uxl refuses vCPU counts past this (xl would build bitmaps of any size). HVM guests stop
// at 128 in libxl; the limit only keeps a typo from allocating gigabytes.
constexpr long max_vcpus_supported = 4096;

class Builder {
public:
    Builder(ConfigReader& reader, const BuildOptions& options)
        : m_reader(reader), m_options(options), m_source(reader.config().source)
    {
        m_host.cpus = std::max(1, options.host_cpus);
        m_host.cpu_node = options.host_cpu_nodes;
    }

    Result<DomainSpec> build()
    {
        UXL_TRY(read_type());
        UXL_TRY(read_name());
        UXL_TRY(read_uuid());
        if (auto pool = m_reader.get_string("pool"))
            m_spec.pool_name = *pool;
        read_scheduler();
        read_memory();
        UXL_TRY(read_vcpus());
        UXL_TRY(read_affinity("cpus", m_spec.vcpu_hard_affinity, Affinity::hard));
        UXL_TRY(read_affinity("cpus_soft", m_spec.vcpu_soft_affinity, Affinity::soft));
        UXL_TRY(read_action("on_poweroff", ShutdownAction::destroy, m_spec.on_poweroff));
        UXL_TRY(read_action("on_reboot", ShutdownAction::restart, m_spec.on_reboot));
        UXL_TRY(read_action("on_watchdog", ShutdownAction::destroy, m_spec.on_watchdog));
        UXL_TRY(read_action("on_crash", ShutdownAction::destroy, m_spec.on_crash));
        UXL_TRY(read_action("on_soft_reset", ShutdownAction::soft_reset, m_spec.on_soft_reset));
        UXL_TRY(read_pci());
        read_kernel();
        read_bootloader();
        if (m_spec.type != DomainType::hvm && m_spec.kernel.empty() && m_spec.bootloader.empty())
            return fatal(nullptr, "Neither kernel nor bootloader specified");
        UXL_TRY(read_disks());
        UXL_TRY(read_vifs());
        read_nics();
        UXL_TRY(read_hvm_settings(m_reader, m_spec, m_source));
        UXL_TRY(read_backend());
        warn_unhonoured_keys(m_reader, m_spec, m_source);
        UXL_TRY(check_hard_affinity());
        UXL_TRY(check_text());
        return std::move(m_spec);
    }

private:
    enum class Affinity { hard, soft };

    std::unexpected<Error> fatal(const Setting* setting, std::string xl_text) const
    {
        std::string context = m_source;
        if (setting && setting->line > 0)
            context += ":" + std::to_string(setting->line);
        return fail(Errc::invalid_argument, std::move(xl_text), std::move(context));
    }

    std::unexpected<Error> fatal_at(const SourcePos& pos, std::string xl_text) const
    {
        std::string context = m_source;
        if (pos.line > 0)
            context += ":" + std::to_string(pos.line);
        return fail(Errc::invalid_argument, std::move(xl_text), std::move(context));
    }

    std::string where(int line) const { return m_source + ":" + std::to_string(line); }

    // A diagnostic at a list element (ConfigReader::warn takes a whole setting).
    void warn_at(const SourcePos& pos, std::string message, std::string xl_text)
    {
        Diagnostic d;
        d.severity = Severity::warning;
        d.source = m_source;
        d.pos = pos;
        d.message = std::move(message);
        d.xl_text = std::move(xl_text);
        m_reader.diagnostics().add(std::move(d));
    }

    // xlu_cfg_get_listitem() gives NULL for an element that is itself a list, and every
    // loop in parse_config_data stops there, silently. uxl check says so.
    void note_list_stops(const ConfigValue& element, std::string_view key, size_t index)
    {
        warn_at(element.pos,
                "element " + std::to_string(index + 1) + " of `" + std::string(key) +
                    "' is a list, so xl ignores it and every element after it",
                "");
    }

    // 1. ---------------------------------------------------------------------------------

    // xl tests strncmp(value, candidate, strlen(value)) in order, so any prefix of a
    // candidate matches the first such candidate, and "" means hvm.
    static bool prefix_of(std::string_view value, std::string_view candidate)
    {
        return candidate.starts_with(value);
    }

    Result<void> read_type()
    {
        std::optional<DomainType> type;
        if (auto text = m_reader.get_string("type")) {
            if (prefix_of(*text, "hvm"))
                type = DomainType::hvm;
            else if (prefix_of(*text, "pv"))
                type = DomainType::pv;
            else if (prefix_of(*text, "pvh"))
                type = DomainType::pvh;
            else
                return fatal(m_reader.config().find("type"), "Invalid domain type " + *text + ".");
        }
        // `builder` is deprecated since Xen 4.10 but still read.
        if (auto text = m_reader.get_string("builder")) {
            const Setting* setting = m_reader.config().find("builder");
            DomainType builder;
            if (prefix_of(*text, "hvm"))
                builder = DomainType::hvm;
            else if (prefix_of(*text, "generic"))
                builder = DomainType::pv;
            else
                return fatal(setting, "Invalid domain type " + *text + ".");
            if (type && *type != builder)
                return fatal(setting, "Contradicting \"builder\" and \"type\" options specified.");
            type = builder;
        }
        m_spec.type = type.value_or(DomainType::pv);  // x86's default; Arm's is pvh
        return {};
    }

    Result<void> read_name()
    {
        if (auto name = m_reader.get_string("name")) {
            m_spec.name = *name;
            return {};
        }
        if (const Setting* setting = m_reader.config().find("name"))
            return fatal(setting, "Domain name must be specified.");  // a list: xl exits
        // xm named such a domain after its config file; xl refuses it.
        std::string_view path = m_options.config_path;
        if (const size_t slash = path.rfind('/'); slash != std::string_view::npos)
            path.remove_prefix(slash + 1);
        if (path.empty())
            return fatal(nullptr, "Domain name must be specified.");
        m_spec.name = std::string(path);
        Diagnostic d;
        d.severity = Severity::warning;
        d.source = m_source;
        d.message = "no `name': the domain is named `" + m_spec.name +
                    "' after the config file, as xm did (xl refuses such a file)";
        m_reader.diagnostics().add(std::move(d));
        return {};
    }

    Result<void> read_uuid()
    {
        if (auto text = m_reader.get_string("uuid")) {
            auto uuid = parse_uuid(*text);
            if (!uuid)
                return fatal(m_reader.config().find("uuid"), "Failed to parse UUID: " + *text);
            m_spec.uuid = *uuid;
        } else {
            m_spec.uuid = generate_uuid();
        }
        return {};
    }

    // 2. ---------------------------------------------------------------------------------

    void read_scheduler()
    {
        m_spec.cpu_weight = m_reader.get_long("cpu_weight");
        m_spec.cap = m_reader.get_long("cap");
    }

    void read_memory()
    {
        // xl multiplies in long arithmetic and stores into a uint64_t.
        if (auto memory = m_reader.get_long("memory"))
            m_spec.target_memkb = static_cast<std::uint64_t>(*memory) * 1024;
        if (auto maxmem = m_reader.get_long("maxmem"))
            m_spec.max_memkb = static_cast<std::uint64_t>(*maxmem) * 1024;
        else
            m_spec.max_memkb = m_spec.target_memkb;
    }

    Result<void> read_vcpus()
    {
        long vcpus = 0;
        if (auto value = m_reader.get_long("vcpus")) {
            const Setting* setting = m_reader.config().find("vcpus");
            vcpus = *value;
            // libxl_cpu_bitmap_alloc() refuses a negative size, and xl exits.
            if (static_cast<int>(vcpus) < 0)
                return fatal(setting, "Unable to allocate cpumap");
            if (vcpus > max_vcpus_supported)
                return fatal(setting, where(setting->line) + ": vcpus = " +
                                          std::to_string(vcpus) + " is more than uxl supports (" +
                                          std::to_string(max_vcpus_supported) + ")");
            m_spec.libxl_avail_vcpus = static_cast<int>(vcpus);
        }
        long max_vcpus = 0;
        if (auto value = m_reader.get_long("maxvcpus")) {
            const Setting* setting = m_reader.config().find("maxvcpus");
            max_vcpus = static_cast<int>(*value);
            if (max_vcpus > max_vcpus_supported)
                return fatal(setting, where(setting->line) + ": maxvcpus = " +
                                          std::to_string(max_vcpus) + " is more than uxl supports (" +
                                          std::to_string(max_vcpus_supported) + ")");
        }
        if (max_vcpus == 0)
            max_vcpus = vcpus;
        if (max_vcpus < vcpus)
            return fatal(m_reader.config().find("maxvcpus"), "xl: maxvcpus < vcpus");
        m_spec.libxl_max_vcpus = static_cast<int>(max_vcpus);

        // What libxl makes of them: max_vcpus 0 becomes 1, and without avail_vcpus only
        // vCPU 0 starts.
        m_spec.max_vcpus = std::max(1, m_spec.libxl_max_vcpus);
        m_spec.vcpus = std::max(1, m_spec.libxl_avail_vcpus);
        return {};
    }

    // 3. ---------------------------------------------------------------------------------

    // parse_vcpu_affinity(): a string gives every vCPU up to max_vcpus the same set; a list
    // gives vCPU i its element i (elements past max_vcpus are ignored). Either way xl makes
    // max_vcpus entries at most, so without `vcpus` and `maxvcpus` the key has no effect.
    Result<void> read_affinity(std::string_view key, std::vector<std::vector<int>>& out,
                               Affinity kind)
    {
        const Setting* setting = m_reader.config().find(key);
        const int max_vcpus = m_spec.libxl_max_vcpus;
        if (const ConfigValue* list = m_reader.get_list(key, /*dont_warn=*/true)) {
            const size_t count =
                std::min(list->items.size(), static_cast<size_t>(std::max(0, max_vcpus)));
            for (size_t i = 0; i < count; ++i) {
                const ConfigValue& element = list->items[i];
                if (!element.is_string()) {
                    note_list_stops(element, key, i);
                    break;
                }
                auto cpus = parse_cpu_list(element.text, m_host);
                if (!cpus)
                    return fatal_at(element.pos, cpus.error().message);
                out.push_back(std::move(*cpus));
            }
            m_spec.numa_placement = false;  // "always disable automatic placement" for a list
        } else if (auto text = m_reader.get_string(key)) {
            auto cpus = parse_cpu_list(*text, m_host);  // xl parses it even for no vCPUs
            if (!cpus)
                return fatal(setting, cpus.error().message);
            for (int i = 0; i < max_vcpus; ++i)
                out.push_back(*cpus);
            if (kind == Affinity::soft)
                m_spec.numa_placement = false;
        } else {
            return {};
        }
        if (max_vcpus <= 0) {
            m_reader.warn(*setting,
                          "`" + std::string(key) +
                              "' has no effect without `vcpus' or `maxvcpus': xl pins only the "
                              "vCPUs those name",
                          "");
        }
        return {};
    }

    // 4. ---------------------------------------------------------------------------------

    Result<void> read_action(std::string_view key, ShutdownAction fallback, ShutdownAction& out)
    {
        auto text = m_reader.get_string(key);
        if (!text) {
            out = fallback;
            return {};
        }
        auto action = parse_shutdown_action(*text);
        if (!action)
            return fatal(m_reader.config().find(key),
                         "Unknown " + std::string(key) + " action \"" + *text + "\" specified");
        out = *action;
        return {};
    }

    // 5. ---------------------------------------------------------------------------------

    Result<void> read_pci()
    {
        // xl keeps these in ints, then stores them into the device's bools.
        auto flag = [this](std::string_view key) {
            auto value = m_reader.get_long(key);
            return value && static_cast<int>(*value) != 0;
        };
        PciSpec initial;
        initial.msitranslate = flag("pci_msitranslate");
        initial.power_mgmt = flag("pci_power_mgmt");
        initial.permissive = flag("pci_permissive");
        initial.seize = flag("pci_seize");
        // xl copies b_info->u.hvm.rdm.policy, the domain-wide `rdm=` policy. For an HVM
        // guest that is libxl's "invalid" (unset); for PV and PVH the union holds the
        // pv/pvh member and the bytes read are the zeroes of libxl's init, which is
        // "strict" -- and libxl's JSON shows it.
        initial.rdm_policy =
            m_spec.type == DomainType::hvm ? RdmReservePolicy::invalid : RdmReservePolicy::strict;

        const ConfigValue* list = m_reader.get_list("pci");
        if (!list)
            return {};
        for (size_t i = 0; i < list->items.size(); ++i) {
            const ConfigValue& element = list->items[i];
            if (!element.is_string()) {
                note_list_stops(element, "pci", i);
                break;
            }
            std::string report;
            PciParseOptions options{initial, &report};
            auto pci = parse_pci_spec(element.text, options);
            if (!pci)
                return fatal_at(element.pos, report + "unable to parse PCI_SPEC_STRING `" +
                                                 element.text + "' for passthrough");
            m_spec.pcidevs.push_back(std::move(*pci));
        }
        return {};
    }

    // 6. ---------------------------------------------------------------------------------

    void read_kernel()
    {
        if (auto kernel = m_reader.get_string("kernel"))
            m_spec.kernel = *kernel;
        if (auto ramdisk = m_reader.get_string("ramdisk"))
            m_spec.ramdisk = *ramdisk;

        // parse_cmdline(): cmdline wins; else "root=ROOT EXTRA", "root=ROOT" or "EXTRA".
        auto cmdline = m_reader.get_string("cmdline");
        auto root = m_reader.get_string("root");
        auto extra = m_reader.get_string("extra");
        if (cmdline) {
            m_spec.cmdline = *cmdline;
            if (root || extra) {
                const Setting* ignored = m_reader.config().find(root ? "root" : "extra");
                m_reader.warn(*ignored, "root= and extra= are ignored because cmdline= is set",
                              "Warning: ignoring root= and extra= in favour of cmdline=");
            }
        } else if (root && extra) {
            m_spec.cmdline = "root=" + *root + " " + *extra;
        } else if (root) {
            m_spec.cmdline = "root=" + *root;
        } else if (extra) {
            m_spec.cmdline = *extra;
        }
    }

    void read_bootloader()
    {
        if (auto bootloader = m_reader.get_string("bootloader"))
            m_spec.bootloader = *bootloader;

        if (const ConfigValue* list = m_reader.get_list("bootloader_args", /*dont_warn=*/true)) {
            // xlu_cfg_get_list_as_string_list: a list element stops the string list.
            for (size_t i = 0; i < list->items.size(); ++i) {
                const ConfigValue& element = list->items[i];
                if (!element.is_string()) {
                    note_list_stops(element, "bootloader_args", i);
                    break;
                }
                m_spec.bootloader_args.push_back(element.text);
            }
        } else if (auto text = m_reader.get_string("bootloader_args")) {
            m_reader.warn(*m_reader.config().find("bootloader_args"),
                          "`bootloader_args' as a string is deprecated: write a list of "
                          "arguments",
                          "WARNING: Specifying \"bootloader_args\" as a string is deprecated. "
                          "Please use a list of arguments.");
            // split_string_into_string_list(buf, " \t\n"): strtok, so runs of blanks split once.
            size_t pos = 0;
            while (pos < text->size()) {
                const size_t start = text->find_first_not_of(" \t\n", pos);
                if (start == std::string::npos)
                    break;
                size_t end = text->find_first_of(" \t\n", start);
                if (end == std::string::npos)
                    end = text->size();
                m_spec.bootloader_args.push_back(text->substr(start, end - start));
                pos = end;
            }
        }
    }

    // 7. ---------------------------------------------------------------------------------

    Result<void> read_disks()
    {
        const ConfigValue* list = m_reader.get_list("disk");
        if (!list)
            return {};
        for (size_t i = 0; i < list->items.size(); ++i) {
            const ConfigValue& element = list->items[i];
            if (!element.is_string()) {
                note_list_stops(element, "disk", i);
                break;
            }
            auto disk = parse_disk_spec(std::string_view(element.text), m_source);
            if (!disk)
                return fatal_at(element.pos, disk.error().message);
            m_spec.disks.push_back(std::move(*disk));
        }
        return {};
    }

    Result<VifSpec> parse_vif(std::string_view text, const SourcePos& pos, int index)
    {
        std::vector<std::string> warnings;
        VifParseOptions options;
        options.source = m_source;
        options.devid = index;  // ARRAY_EXTEND_INIT: the list index
        options.mode = VifParseOptions::Mode::config_file;
        options.warnings = &warnings;
        auto nic = parse_vif_spec(text, options);
        for (auto& line : warnings)
            warn_at(pos, line, line);
        if (!nic)
            return fatal_at(pos, nic.error().message);
        return nic;
    }

    Result<void> read_vifs()
    {
        const ConfigValue* list = m_reader.get_list("vif");
        if (!list)
            return {};
        for (size_t i = 0; i < list->items.size(); ++i) {
            const ConfigValue& element = list->items[i];
            if (!element.is_string()) {
                note_list_stops(element, "vif", i);
                break;
            }
            m_spec.nics.push_back(UXL_TRY(parse_vif(element.text, element.pos, static_cast<int>(i))));
        }
        return {};
    }

    // 8. ---------------------------------------------------------------------------------

    static std::string plural(size_t n, const char* one, const char* many)
    {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    }

    // xm's `nics = N`: xl ignores it; xm padded `vif` with empty entries up to N, or
    // dropped every vif for N = 0, and warned that the option was deprecated.
    void read_nics()
    {
        auto nics = m_reader.get_long("nics");
        if (!nics || *nics < 0)
            return;  // xm's default was -1: no effect
        const Setting* setting = m_reader.config().find("nics");
        const std::string head = where(setting->line) + ": warning: ";
        const size_t have = m_spec.nics.size();
        if (*nics == 0) {
            m_spec.nics.clear();
            const std::string text = "`nics = 0' is deprecated (xm); as xm did, no vif is created" +
                                     (have ? " and the " + plural(have, "vif entry", "vif entries") +
                                                 " ignored"
                                           : std::string());
            m_reader.warn(*setting, text, head + text);
            return;
        }
        const size_t want = static_cast<size_t>(std::min<long>(*nics, max_vcpus_supported));
        if (want <= have) {
            const std::string text = "`nics' is deprecated (xm) and has no effect: `vif' already "
                                     "has " + plural(have, "entry", "entries");
            m_reader.warn(*setting, text, head + text);
            return;
        }
        for (size_t i = have; i < want; ++i) {
            auto nic = parse_vif("", setting->value.pos, static_cast<int>(i));
            if (nic)
                m_spec.nics.push_back(std::move(*nic));
        }
        const std::string text = "`nics = " + std::to_string(*nics) +
                                 "' is deprecated (xm); as xm did, " +
                                 plural(want - have, "empty vif entry was", "empty vif entries were") +
                                 " added: write vif = [ '', ... ] instead";
        m_reader.warn(*setting, text, head + text);
    }

    Result<void> read_backend()
    {
        const Setting* setting = m_reader.get_raw("backend");
        if (!setting) {
            KernelImage image = KernelImage::unknown;
            if (!m_spec.kernel.empty() && m_options.read_kernel_head)
                if (auto head = m_options.read_kernel_head(m_spec.kernel))
                    image = classify_kernel_image(*head);
            BackendChoice choice = choose_backend(m_spec, image);
            m_spec.backend = choice.kind;
            m_spec.backend_reason = std::move(choice.reason);
            return {};
        }
        std::optional<BackendKind> kind;
        if (setting->value.is_string())
            kind = parse_backend_kind(setting->value.text);
        if (!kind) {
            const std::string value =
                setting->value.is_string() ? "\"" + setting->value.text + "\"" : "a list";
            return fatal(setting, where(setting->line) + ": backend = " + value +
                                      " is not a backend uxl knows; use \"uml\", \"qemu\" or "
                                      "\"vkernel\"");
        }
        m_spec.backend = *kind;
        m_spec.backend_reason = "backend = \"" + std::string(to_string(*kind)) + "\"";
        return {};
    }

    // 9. ---------------------------------------------------------------------------------

    // create_domain() ANDs each vCPU's hard affinity with xl.conf's masks (all CPUs when
    // unset) and exits when nothing is left, before it prints or creates anything.
    Result<void> check_hard_affinity()
    {
        if (m_options.ignore_global_affinity_masks)
            return {};
        // parse_cpu_list() already kept only the CPUs of the host's bitmap, which is what
        // the AND with full masks leaves.
        for (const auto& cpus : m_spec.vcpu_hard_affinity) {
            if (cpus.empty())
                return fatal(m_reader.config().find("cpus"), "vcpu hard affinity map is empty");
        }
        return {};
    }

    // 10. --------------------------------------------------------------------------------

    // xl passes bytes through (libxl's yajl writer does not check them), but JSON text
    // is UTF-8: a name or path in Latin-1 would make `uxl create -n` print JSON that no
    // reader takes, and `uxl create` send uxld a mangled copy. So uxl refuses it here,
    // naming the key whose value it came from.
    Result<void> check_text()
    {
        std::vector<std::pair<std::string_view, const std::string*>> texts = {
            {"name", &m_spec.name},       {"pool", &m_spec.pool_name},
            {"kernel", &m_spec.kernel},   {"ramdisk", &m_spec.ramdisk},
            {"cmdline", &m_spec.cmdline}, {"bootloader", &m_spec.bootloader},
        };
        for (const std::string& arg : m_spec.bootloader_args)
            texts.emplace_back("bootloader_args", &arg);
        auto add = [&](std::string_view key, const std::optional<std::string>& text) {
            if (text)
                texts.emplace_back(key, &*text);
        };
        for (const DiskSpec& disk : m_spec.disks) {
            for (const auto* text : {&disk.backend_domname, &disk.pdev_path, &disk.vdev, &disk.script,
                                     &disk.colo_host, &disk.colo_export, &disk.active_disk, &disk.hidden_disk})
                add("disk", *text);
        }
        for (const VifSpec& nic : m_spec.nics) {
            for (const auto* text : {&nic.backend_domname, &nic.vlan, &nic.model, &nic.ip, &nic.bridge,
                                     &nic.ifname, &nic.script, &nic.gatewaydev})
                add("vif", *text);
            for (const auto& [field, value] : nic.colo)
                texts.emplace_back("vif", &value);
        }
        for (const PciSpec& pci : m_spec.pcidevs)
            add("pci", pci.name);

        for (const auto& [key, text] : texts) {
            if (detail::is_valid_utf8(*text))
                continue;
            // cmdline is built from root and extra when cmdline itself is not set.
            const Setting* setting = m_reader.config().find(key);
            for (std::string_view part : {"extra", "root"})
                if (!setting && key == "cmdline")
                    setting = m_reader.config().find(part);
            const std::string at = setting ? where(setting->line) + ": " : m_source + ": ";
            return fatal(setting, at + "the value of `" + std::string(setting ? setting->name : key) +
                                      "' is not valid UTF-8: uxl keeps a domain as JSON, which cannot "
                                      "hold it");
        }
        return {};
    }

    ConfigReader& m_reader;
    const BuildOptions& m_options;
    std::string m_source;
    HostCpuTopology m_host;
    DomainSpec m_spec;
};

}  // namespace

Result<DomainSpec> build_domain_spec(ConfigReader& reader, const BuildOptions& options)
{
    return Builder(reader, options).build();
}

}  // namespace uxl
