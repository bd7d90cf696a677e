// The fixture of the integration tests that run uxld inside a network namespace of their own
// (devices_integration_test.cc for UML guests, qemu_integration_test.cc for QEMU guests).
//
// SAFETY: every test makes its own network namespace `uxlt-<random>`, with a bridge br0
// (192.0.2.1/24, TEST-NET-1) inside it, and starts uxld inside that namespace
// (`ip netns exec NS uxld --foreground --root DIR`), so every tap uxld creates lives there.
// Nothing is ever created in the host namespace. TearDown destroys what is left, stops the
// daemon, kills any process mentioning the root, detaches loop devices backed by the root's
// images, and deletes the namespace, also when a test failed.
//
// DIR/scripts holds copies of share/scripts/{vif-bridge,vif-route} and a `block` wrapper that
// runs the shipped script with UXL_BLOCK_STATE_DIR inside DIR (so tests never share
// /run/uxl/block state), plus the failing/hanging scripts some tests add. Every wait is
// bounded by a deadline.
#pragma once

#include "integration_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace uxl_integration {

inline std::string random_suffix()
{
    std::random_device rd;
    std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
                        static_cast<std::uint64_t>(::getpid()));
    const char* alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s;
    for (int i = 0; i < 8; ++i)
        s += alphabet[gen() % 36];
    return s;
}

inline std::string find_tool(std::initializer_list<const char*> candidates)
{
    for (const char* c : candidates)
        if (::access(c, X_OK) == 0)
            return c;
    return {};
}


class NetnsDaemonFixture : public ::testing::Test {
protected:
    static inline GuestImage s_image;
    static inline std::string s_ip;
    static inline std::string s_busybox;
    static inline std::string s_losetup;

    static void SetUpTestSuite()
    {
        s_ip = find_tool({"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"});
        s_busybox = find_tool({"/bin/busybox", "/usr/bin/busybox"});
        s_losetup = find_tool({"/usr/sbin/losetup", "/sbin/losetup"});
        if (::access(kLinux, X_OK) != 0 || s_ip.empty())
            return;
        s_image.prepare("uxldt");
    }

    static void TearDownTestSuite() { s_image.remove(); }

    void SetUp() override
    {
        if (::access(kLinux, X_OK) != 0)
            GTEST_SKIP() << kLinux << " is absent (install user-mode-linux)";
        if (s_ip.empty())
            GTEST_SKIP() << "ip (iproute2) is absent";
        if (::geteuid() != 0)
            GTEST_SKIP() << "needs root (network namespaces, taps, loop devices)";
        ASSERT_TRUE(s_image.error.empty()) << s_image.error;
        ASSERT_FALSE(s_busybox.empty()) << "busybox is needed for ping";

        char tmpl[] = "/tmp/uxldt.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        // uxld runs each guest under a uid of its own, which must pass through to its files.
        ::chmod(m_root.c_str(), 0711);
        m_socket = m_root + "/uxld.sock";
        fs::create_directories(m_root + "/cfg");
        fs::create_directories(m_root + "/img");
        fs::create_directories(m_root + "/scripts");
        m_pwn = "/tmp/pwned-" + random_suffix();

        // Scripts: the shipped vif scripts, and `block` as a wrapper keeping its state in DIR.
        const std::string shipped = std::string(UXL_SOURCE_DIR) + "/share/scripts/";
        for (const char* s : {"vif-bridge", "vif-route"})
            fs::copy_file(shipped + s, m_root + "/scripts/" + s);
        fs::copy_file(shipped + "block", m_root + "/scripts/block-shipped");
        write_script("block", "#!/bin/sh\nUXL_BLOCK_STATE_DIR='" + m_root +
                                  "/block-state'\nexport UXL_BLOCK_STATE_DIR\nexec '" + m_root +
                                  "/scripts/block-shipped' \"$@\"\n");
        for (const auto& e : fs::directory_iterator(m_root + "/scripts"))
            fs::permissions(e.path(), fs::perms(0755));
        spit(m_root + "/uxl.conf", "vif.default.bridge=\"br0\"\nvif.default.script=\"vif-bridge\"\n");

        // The namespace, with the bridge the guests join.
        m_netns = "uxlt-" + random_suffix();
        RunResult add = run({s_ip, "netns", "add", m_netns}, {}, "", 20s);
        ASSERT_EQ(add.exit_code, 0) << "ip netns add: " << show(add);
        m_netns_made = true;
        for (std::vector<std::string> cmd : {
                 std::vector<std::string>{"link", "set", "lo", "up"},
                 std::vector<std::string>{"link", "add", "br0", "type", "bridge"},
                 std::vector<std::string>{"addr", "add", "192.0.2.1/24", "dev", "br0"},
                 std::vector<std::string>{"link", "set", "br0", "up"}}) {
            RunResult r = in_netns_ip(cmd);
            ASSERT_EQ(r.exit_code, 0) << show(r);
        }
    }

    void TearDown() override
    {
        if (m_root.empty() && !m_netns_made)
            return;
        if (HasFailure() && !m_root.empty())
            dump_diagnostics();
        if (daemon_alive()) {
            for (const auto& row : list_rows())
                if (row.domid != 0)
                    (void)uxl({"destroy", row.name}, "", 30s);
        }
        stop_daemon(SIGTERM);
        if (!m_root.empty()) {
            wait_until([&] {
                auto left = procs_mentioning(m_root);
                for (const auto& p : left)
                    ::kill(p.pid, SIGKILL);
                return left.empty();
            }, 20s);
            for (const auto& dev : loops_of_root())
                (void)run({s_losetup, "-d", dev}, {}, "", 10s);
        }
        if (m_netns_made) {
            RunResult del = run({s_ip, "netns", "delete", m_netns}, {}, "", 20s);
            EXPECT_EQ(del.exit_code, 0) << "ip netns delete " << m_netns << ": " << show(del);
            m_netns_made = false;
        }
        std::error_code ec;
        if (!m_pwn.empty()) {
            fs::remove(m_pwn + "-vifname", ec);
            fs::remove(m_pwn + "-bridge", ec);
        }
        if (!m_root.empty())
            fs::remove_all(m_root, ec);
        m_root.clear();
    }

    // --- namespace and host tools ---------------------------------------------------------

    RunResult in_netns(std::vector<std::string> argv, Clock::duration timeout = 30s)
    {
        argv.insert(argv.begin(), {s_ip, "netns", "exec", m_netns});
        return run(argv, {}, "", timeout);
    }

    RunResult in_netns_ip(std::vector<std::string> args)
    {
        args.insert(args.begin(), s_ip);
        return in_netns(args, 20s);
    }

    // Interface names in the namespace, other than lo and br0.
    std::vector<std::string> extra_links()
    {
        std::vector<std::string> out;
        RunResult r = in_netns_ip({"-br", "link"});
        std::istringstream in(r.out);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string name;
            if (!(f >> name))
                continue;
            name = name.substr(0, name.find('@'));
            if (name != "lo" && name != "br0")
                out.push_back(name);
        }
        return out;
    }

    std::string links() { return in_netns_ip({"-br", "link"}).out; }

    // Loop devices whose backing file is under the root.
    std::vector<std::string> loops_of_root()
    {
        std::vector<std::string> out;
        if (s_losetup.empty())
            return out;
        RunResult r = run({s_losetup, "-a"}, {}, "", 10s);
        std::istringstream in(r.out);
        std::string line;
        while (std::getline(in, line))
            if (line.find(m_root + "/") != std::string::npos)
                out.push_back(line.substr(0, line.find(':')));
        return out;
    }

    std::string losetup_all() { return s_losetup.empty() ? "" : run({s_losetup, "-a"}, {}, "", 10s).out; }

    void write_script(const std::string& name, const std::string& text)
    {
        std::string path = m_root + "/scripts/" + name;
        spit(path, text);
        fs::permissions(path, fs::perms(0755));
    }

    std::string make_image(const std::string& name, size_t bytes)
    {
        std::string path = m_root + "/img/" + name;
        {
            std::ofstream out(path, std::ios::binary | std::ios::trunc);
        }
        fs::resize_file(path, bytes);
        return path;
    }

    std::string hotplug_log() { return slurp(m_root + "/log/hotplug.log"); }

    // --- the daemon, inside the namespace -------------------------------------------------

    void start_daemon()
    {
        std::string problem = m_daemon.start(UXLD_BINARY, m_root, m_socket, {s_ip, "netns", "exec", m_netns});
        ASSERT_TRUE(problem.empty()) << problem;
    }

    bool daemon_alive() { return m_daemon.alive(); }

    void stop_daemon(int sig)
    {
        EXPECT_TRUE(m_daemon.stop(sig)) << "uxld did not exit on signal " << sig;
    }

    // --- uxl ------------------------------------------------------------------------------

    std::vector<std::string> env() const { return {"UXL_SOCKET=" + m_socket}; }

    RunResult uxl(std::vector<std::string> args, const std::string& input = "",
                  Clock::duration timeout = kCommandTimeout)
    {
        args.insert(args.begin(), UXL_BINARY);
        return run(args, env(), input, timeout);
    }

    // What every test config says after its name: the guest's kernel, ramdisk and memory
    // (a UML guest here; qemu_integration_test.cc has QEMU's).
    virtual std::string guest_lines() const
    {
        return "kernel=\"" + std::string(kLinux) + "\"\nramdisk=\"" + s_image.path + "\"\nmemory=64\n";
    }

    std::string write_config(const std::string& name, const std::string& extra)
    {
        std::string path = m_root + "/cfg/" + name + ".cfg";
        spit(path, "name=\"" + name + "\"\n" + guest_lines() + extra);
        return path;
    }

    RunResult create_raw(const std::string& name, const std::string& extra, Clock::duration timeout = kCommandTimeout)
    {
        return uxl({"create", write_config(name, extra)}, "", timeout);
    }

    int create(const std::string& name, const std::string& extra)
    {
        RunResult r = create_raw(name, extra);
        EXPECT_EQ(r.exit_code, 0) << "create " << name << ": " << show(r);
        if (r.exit_code != 0)
            return -1;
        return domid_of(name).value_or(-1);
    }

    std::vector<ListRow> list_rows()
    {
        RunResult r = uxl({"list"}, "", 30s);
        return r.exit_code == 0 ? parse_list_rows(r.out) : std::vector<ListRow>{};
    }

    std::optional<int> domid_of(const std::string& name)
    {
        for (const auto& row : list_rows())
            if (row.name == name)
                return row.domid;
        return std::nullopt;
    }

    std::string console_log(const std::string& name) { return slurp(m_root + "/log/console/" + name + ".log"); }
    std::string no_banner(const std::string& name) { return no_banner_report(name, console_log(name), m_root); }

    bool wait_for_banner(const std::string& name, Clock::duration timeout = kBootTimeout)
    {
        return wait_until([&] { return console_log(name).find(kBanner) != std::string::npos; }, timeout);
    }

    std::vector<Proc> domain_procs()
    {
        auto out = procs_mentioning(m_root + "/d/");
        for (const auto& p : procs_mentioning(m_root))
            if ((p.cmdline.find("uxl-monitor") != std::string::npos || p.cmdline.find(kLinux) == 0) &&
                std::none_of(out.begin(), out.end(), [&](const Proc& q) { return q.pid == p.pid; }))
                out.push_back(p);
        return out;
    }

    std::vector<std::string> domain_dirs() { return domain_dirs_of(m_root); }

    // Runs `command` in NAME's shell through `uxl console` and waits until it printed
    // `done_marker` (which must not appear literally in the command, so the echo of the
    // typed line does not count). Returns the console output.
    std::string console_command(const std::string& name, const std::string& command,
                                const std::string& done_marker, Clock::duration timeout, bool* ok)
    {
        ConsoleSession console(name, env());
        // A fresh prompt first: the shell may still be starting.
        console.send("\n");
        console.send(command + "\n");
        *ok = console.wait_for(done_marker, timeout);
        return console.output();
    }

    // No tap, no guest process, no domain directory, no domain listed, no loop device.
    void expect_nothing_left(const std::string& what)
    {
        EXPECT_TRUE(wait_until([&] { return extra_links().empty(); }, 10s))
            << what << ": interfaces left in " << m_netns << ":\n" << links();
        EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 10s))
            << what << ": processes left:\n" << describe(domain_procs());
        EXPECT_TRUE(wait_until([&] { return domain_dirs().empty(); }, 10s))
            << what << ": left in " << m_root << "/d: " << ::testing::PrintToString(domain_dirs());
        auto rows = list_rows();
        ASSERT_EQ(rows.size(), 1u) << what << ": " << uxl({"list"}).out;
        EXPECT_EQ(rows[0].name, "Domain-0");
        EXPECT_TRUE(loops_of_root().empty()) << what << ": loop devices left:\n" << losetup_all();
    }

    void expect_not_pwned()
    {
        EXPECT_FALSE(fs::exists(m_pwn + "-vifname"));
        EXPECT_FALSE(fs::exists(m_pwn + "-bridge"));
        std::error_code ec;
        for (const auto& e : fs::directory_iterator("/tmp", ec))
            EXPECT_NE(e.path().filename().string().rfind("pwned-", 0), 0u) << e.path();
    }

    void dump_diagnostics()
    {
        std::string tail = slurp(m_root + "/log/uxld.log");
        if (tail.size() > 6000)
            tail = tail.substr(tail.size() - 6000);
        std::cerr << "=== uxld.log (tail) ===\n" << tail << "\n=== uxld stderr ===\n"
                  << slurp(m_root + "/uxld.stderr") << "\n=== hotplug.log ===\n" << hotplug_log()
                  << "\n=== links in " << m_netns << " ===\n" << links()
                  << "\n=== processes under " << m_root << " ===\n" << describe(procs_mentioning(m_root));
    }

    // --- name races (8.) ----------------------------------------------------------------

    // scripts/vif-gated: on `up' it notes the call in DIR/hook-started and waits for
    // DIR/hook-gate (30 s at most, then it fails); then the shipped vif-bridge does the work.
    void write_gated_vif_script()
    {
        write_script("vif-gated", "#!/bin/sh\n"
                                  "if [ \"$1\" = up ]; then\n"
                                  "    echo \"$*\" >> '" + m_root + "/hook-started'\n"
                                  "    i=0\n"
                                  "    while [ ! -e '" + m_root + "/hook-gate' ]; do\n"
                                  "        i=$((i + 1))\n"
                                  "        [ $i -le 300 ] || { echo 'vif-gated: the gate never opened' >&2; exit 1; }\n"
                                  "        sleep 0.1\n"
                                  "    done\n"
                                  "fi\n"
                                  "exec '" + m_root + "/scripts/vif-bridge' \"$@\"\n");
    }

    std::string gate_path() const { return m_root + "/hook-gate"; }

    // How many creates have reached the vif hook (and wait at its gate, until it opens).
    size_t creates_in_hook() { return count_of(slurp(m_root + "/hook-started"), "\n"); }

    std::string gated_config(const std::string& name)
    {
        return write_config(name, "extra=\"quiet pty.legacy_count=0\"\nvif=['bridge=br0,script=vif-gated']\n");
    }

    std::future<RunResult> create_in_background(const std::string& config_path)
    {
        return std::async(std::launch::async, [this, config_path] { return uxl({"create", config_path}); });
    }

    size_t rows_named(const std::string& name)
    {
        auto rows = list_rows();
        return static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [&](const ListRow& r) { return r.name == name; }));
    }

    // Destroys every domain by domid (names may be ambiguous when a test fails) and checks
    // that nothing is left.
    void destroy_all_and_expect_nothing_left(const std::string& what)
    {
        for (const auto& row : list_rows()) {
            if (row.domid == 0)
                continue;
            RunResult r = uxl({"destroy", std::to_string(row.domid)});
            EXPECT_EQ(r.exit_code, 0) << "destroy " << row.name << " (" << row.domid << "): " << show(r);
        }
        expect_nothing_left(what);
    }

    static std::string already_exists(const std::string& name)
    {
        return "Domain with name \"" + name + "\" already exists.";
    }

    std::string m_root;
    std::string m_socket;
    std::string m_netns;
    std::string m_pwn;
    bool m_netns_made = false;
    DaemonProcess m_daemon;
};

}  // namespace uxl_integration
