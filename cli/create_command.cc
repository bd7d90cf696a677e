// `uxl create`: find the config, append the KEY=VALUE overrides, parse, build the domain.
//
//   1. the config is `-f FILE`, else the first operand without '=' (looked up by name);
//   2. every operand with '=' is a config line appended after the file, as xl does, so
//      overrides win by "last assignment" and error lines continue past the file's end;
//   3. parse errors and warnings are printed in xl's words; a failed parse exits 1; a file
//      whose first non-blank character is '<' is libvirt domain XML: the helper uxl-xml turns
//      it into a config (xml_helper.h), read here with the XML's line numbers (uxl/xml_config.h);
//   4. with -n (or the global -N) the domain is printed as libxl JSON and nothing is created;
//   5. otherwise uxld creates it (paused with -p), and 6. -c attaches its console.
#include "command.h"
#include "config_lookup.h"
#include "daemon_client.h"
#include "option_parser.h"
#include "xml_helper.h"

#include "uxl/config_file.h"
#include "uxl/config_reader.h"
#include "uxl/domain_spec.h"
#include "uxl/xml_config.h"
#include "uxl/protocol.h"

#include <cstdio>
#include <unistd.h>

namespace uxl::cli {
namespace {

using protocol::CreateRequest;

// Creating runs hook scripts and starts the guest: allow it longer than other requests.
constexpr std::chrono::milliseconds k_create_timeout{120'000};

int host_cpu_count()
{
    long n = ::sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? static_cast<int>(n) : 1;
}

// 3. A config file: parse errors and warnings in xl's words. The error has been printed
//    when the Result holds one.
Result<DomainSpec> spec_from_config(std::string data, const std::string& path, const std::string& overrides,
                                    const BuildOptions& build)
{
    if (!overrides.empty())
        data += "\n" + overrides + "\n";
    ParseOutcome outcome = parse_config(data, path);
    if (!outcome.ok()) {
        std::fputs(outcome.diagnostics.xl_report().c_str(), stderr);
        std::fprintf(stderr, "Failed to parse config: Invalid argument\n");
        return fail(Errc::invalid_argument, "");
    }
    Diagnostics diagnostics;
    ConfigReader reader(outcome.config, diagnostics);
    Result<DomainSpec> spec = build_domain_spec(reader, build);
    std::fputs(diagnostics.xl_report().c_str(), stderr);
    if (!spec)
        std::fprintf(stderr, "%s\n", spec.error().message.c_str());
    return spec;
}

// 3'. A libvirt domain XML (its first non-blank character is '<'): what is dropped is
//    warned about, what cannot be run is refused with the element's line.
Result<DomainSpec> spec_from_xml(const std::string& path, const std::string& overrides,
                                 const BuildOptions& build)
{
    if (!overrides.empty()) {
        std::fprintf(stderr, "%s: KEY=VALUE overrides apply to xl config files, not to domain XML\n", path.c_str());
        return fail(Errc::invalid_argument, "");
    }
    // uxl-xml prints the XML's own warnings and refusals (FILE:LINE: ...).
    std::string numbered;
    if (run_xml_helper({"to-native", "--numbered", path}, nullptr, &numbered) != 0)
        return fail(Errc::invalid_argument, "");
    auto config = parse_numbered_config(numbered);
    if (!config) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), config.error().message.c_str());
        return fail(Errc::invalid_argument, "");
    }
    std::vector<std::string> warnings;
    Result<DomainSpec> spec = domain_spec_from_xml_config(*config, path, build, warnings);
    for (const std::string& warning : warnings)
        std::fprintf(stderr, "warning: %s\n", warning.c_str());
    if (!spec)
        std::fprintf(stderr, "%s\n", spec.error().message.c_str());
    return spec;
}

}  // namespace

int main_create(const GlobalOptions& globals, const Command& self, const std::vector<std::string>& args)
{
    auto parsed = parse_options(globals, self, {
        {"-p", "paused"}, {"-c", "console"}, {"-f,--defconfig", "defconfig", true},
        {"-q,--quiet", "quiet"}, {"-n,--dryrun", "dryrun"}, {"-d", "debug"},
        {"-F", "foreground"}, {"-e", "no-wait"}, {"-V,--vncviewer", "vnc"},
        {"-A,--vncviewer-autopass", "vnc-autopass"}, {"-i,--ignore-global-affinity-masks", "ignore-masks"},
    }, args);
    if (!parsed.options)
        return parsed.exit_code;
    const ParsedOptions& opts = *parsed.options;
    const bool quiet = opts.count("quiet") > 0;
    const bool dry_run = globals.dry_run || opts.count("dryrun") > 0;

    std::string config_name = opts.value("defconfig").value_or("");
    std::string overrides;
    for (const std::string& word : opts.operands) {
        if (word.find('=') != std::string::npos) {
            overrides += word;
            overrides += '\n';
        } else if (config_name.empty()) {
            config_name = word;
        } else {
            print_command_help(globals, self);
            return k_exit_usage;
        }
    }
    if (config_name.empty()) {
        std::fprintf(stderr, "Config file not specified and none in save file\n");
        return 6;  // xl: ERROR_INVAL
    }

    std::vector<std::string> searched;
    const std::string path = find_config_file(config_name, &searched);
    if (!quiet)
        std::fprintf(stderr, "Parsing config from %s\n", path.c_str());

    std::string data;
    std::string read_error;
    if (!read_whole_file(path, data, read_error)) {
        std::fprintf(stderr, "Failed to read config file: %s: %s\n", path.c_str(), read_error.c_str());
        if (!searched.empty()) {
            std::string where;
            for (const auto& dir : searched)
                where += (where.empty() ? "" : ", ") + dir;
            std::fprintf(stderr, "%s: no config named `%s' in %s\n", globals.program.c_str(),
                         config_name.c_str(), where.c_str());
        }
        return 3;  // xl: ERROR_FAIL
    }
    BuildOptions build;
    build.config_path = path;
    build.host_cpus = host_cpu_count();
    build.read_kernel_head = read_kernel_head;
    Result<DomainSpec> spec = looks_like_xml(data) ? spec_from_xml(path, overrides, build)
                                                   : spec_from_config(data, path, overrides, build);
    if (!spec)
        return k_exit_failure;

    const std::string json = domain_spec_to_libxl_yajl(*spec);
    if (opts.count("debug"))
        std::fputs(json.c_str(), stderr);
    if (dry_run) {
        std::fputs(json.c_str(), stdout);
        return k_exit_success;
    }

    // 5. send the domain to uxld, which validates it again and builds it; xl prints no
    //    domid on success, and a failed create exits 3 (ERROR_FAIL) after libxl's message.
    auto client = open_daemon(globals);
    if (!client)
        return k_exit_failure;
    CreateRequest request{json, path, opts.count("paused") > 0};
    auto reply = call_daemon(globals, *client, request, k_create_timeout);
    if (!reply)
        return 3;
    if (reply->error) {
        std::fprintf(stderr, "%s\n", reply->error->message.c_str());
        return 3;
    }
    // 6. -c: the console, with the boot output the daemon kept since the domain started.
    if (opts.count("console") && reply->domid)
        return attach_console(globals, std::to_string(*reply->domid));
    return k_exit_success;
}

}  // namespace uxl::cli
