// Integration tests: the real uxld, uxl and uxl-monitor binaries with real User-Mode Linux
// guests (Debian's /usr/bin/linux and the example initramfs from share/examples/build-guest.sh,
// built once per test process, or $UXL_TEST_INITRAMFS when that names an existing image).
//
// Each test gets a fresh temporary root with its own uxld; TearDown destroys whatever is left,
// stops the daemon, kills any process whose command line mentions the root and removes it, so a
// failing test leaves nothing behind. Every wait is bounded by a deadline; there are no sleeps
// used as assertions.
#include "integration_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

using namespace uxl_integration;

// One row of `uxl list`.
// ---------------------------------------------------------------------------------------------
// The fixture

class UxldIntegration : public ::testing::Test {
protected:
    static inline GuestImage s_image;

    static void SetUpTestSuite()
    {
        if (::access(kLinux, X_OK) != 0)
            return;
        s_image.prepare("uxlit");
    }

    static void TearDownTestSuite() { s_image.remove(); }

    void SetUp() override
    {
        if (::access(kLinux, X_OK) != 0)
            GTEST_SKIP() << kLinux << " is absent (install user-mode-linux)";
        ASSERT_TRUE(s_image.error.empty()) << s_image.error;
        char tmpl[] = "/tmp/uxlit.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        m_root = tmpl;
        // uxld runs each guest under a uid of its own, which must pass through to its files.
        ::chmod(m_root.c_str(), 0711);
        m_socket = m_root + "/uxld.sock";
        fs::create_directories(m_root + "/cfg");
        start_daemon();
    }

    void TearDown() override
    {
        if (m_root.empty())
            return;
        if (HasFailure())
            dump_diagnostics();
        // Destroy every domain still listed (only possible while the daemon runs).
        if (daemon_alive()) {
            for (const auto& row : list_rows())
                if (row.domid != 0)
                    (void)uxl({"destroy", row.name}, "", 30s);
        }
        stop_daemon(SIGTERM);
        // Anything left that mentions the root: monitors, UML and its helpers.
        wait_until([&] {
            auto left = procs_mentioning(m_root);
            for (const auto& p : left)
                ::kill(p.pid, SIGKILL);
            return left.empty();
        }, 20s);
        std::error_code ec;
        fs::remove_all(m_root, ec);
        m_root.clear();
    }

    // --- the daemon ---------------------------------------------------------------------

    void start_daemon()
    {
        std::string problem = m_daemon.start(UXLD_BINARY, m_root, m_socket);
        ASSERT_TRUE(problem.empty()) << problem;
    }

    bool daemon_alive() { return m_daemon.alive(); }

    void stop_daemon(int sig)
    {
        EXPECT_TRUE(m_daemon.stop(sig)) << "uxld did not exit on signal " << sig;
    }

    int connect_socket() { return m_daemon.connect(); }

    // --- uxl --------------------------------------------------------------------------------

    std::vector<std::string> env() const { return {"UXL_SOCKET=" + m_socket}; }

    RunResult uxl(std::vector<std::string> args, const std::string& input = "",
                  Clock::duration timeout = kCommandTimeout)
    {
        args.insert(args.begin(), UXL_BINARY);
        return run(args, env(), input, timeout);
    }

    std::string write_config(const std::string& name, const std::string& extra = "",
                             const std::string& kernel = kLinux)
    {
        std::string path = m_root + "/cfg/" + name + ".cfg";
        spit(path, "name=\"" + name + "\"\nkernel=\"" + kernel + "\"\nramdisk=\"" + s_image.path +
                       "\"\nmemory=64\n" + extra);
        return path;
    }

    // Creates NAME and returns its domid (from `uxl domid`), or -1 after a test failure.
    int create(const std::string& name, const std::string& extra = "")
    {
        RunResult r = uxl({"create", write_config(name, extra)});
        EXPECT_EQ(r.exit_code, 0) << "create " << name << ": " << show(r);
        if (r.exit_code != 0)
            return -1;
        EXPECT_NE(r.err.find("Parsing config from"), std::string::npos) << show(r);
        return domid_of(name).value_or(-1);
    }

    std::vector<ListRow> list_rows()
    {
        RunResult r = uxl({"list"}, "", 30s);
        return r.exit_code == 0 ? parse_list_rows(r.out) : std::vector<ListRow>{};
    }

    std::optional<ListRow> row_of(const std::string& name)
    {
        for (const auto& row : list_rows())
            if (row.name == name)
                return row;
        return std::nullopt;
    }

    std::optional<int> domid_of(const std::string& name)
    {
        if (auto row = row_of(name))
            return row->domid;
        return std::nullopt;
    }

    std::vector<ListRow> guests()
    {
        auto rows = list_rows();
        std::erase_if(rows, [](const ListRow& r) { return r.domid == 0; });
        return rows;
    }

    // --- guests -----------------------------------------------------------------------------

    std::string console_log(const std::string& name) { return slurp(m_root + "/log/console/" + name + ".log"); }
    std::string no_banner(const std::string& name) { return no_banner_report(name, console_log(name), m_root); }

    bool wait_for_banner(const std::string& name, size_t times = 1, Clock::duration timeout = kBootTimeout)
    {
        return wait_until([&] { return count_of(console_log(name), kBanner) >= times; }, timeout);
    }

    // The UML main process of NAME: `umid=NAME` under our root, parented by its uxl-monitor.
    std::optional<Proc> uml_main(const std::string& name)
    {
        for (const auto& p : procs_mentioning(m_root)) {
            if (p.cmdline.find(" umid=" + name + " ") == std::string::npos)
                continue;
            auto parent = read_proc(p.ppid);
            if (parent && parent->cmdline.find("uxl-monitor") != std::string::npos)
                return p;
        }
        return std::nullopt;
    }

    std::vector<Proc> domain_procs() { return procs_mentioning(m_root + "/d/"); }

    std::vector<std::string> domain_dirs() { return domain_dirs_of(m_root); }

    void dump_diagnostics()
    {
        std::string tail = slurp(m_root + "/log/uxld.log");
        if (tail.size() > 6000)
            tail = tail.substr(tail.size() - 6000);
        std::string left;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(m_root + "/d", ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            left += "  " + it->path().string() + "\n";
        std::cerr << "=== files under " << m_root << "/d ===\n" << left;
        std::cerr << "=== uxld.log (tail) ===\n" << tail << "\n=== uxld stderr ===\n"
                  << slurp(m_root + "/uxld.stderr") << "\n=== processes under " << m_root << " ===\n"
                  << describe(procs_mentioning(m_root));
    }

    std::string m_root;
    std::string m_socket;
    DaemonProcess m_daemon;
};

// ---------------------------------------------------------------------------------------------
// 1. create → banner → list → shutdown -w → gone, with nothing left behind.

TEST_F(UxldIntegration, CreateBootListShutdownLeavesNothing)
{
    int domid = create("t1");
    ASSERT_GT(domid, 0);

    ASSERT_TRUE(wait_for_banner("t1")) << no_banner("t1");
    {
        ConsoleSession console("t1", env());
        EXPECT_TRUE(console.wait_for(kBanner, 20s)) << "uxl console did not stream the banner:\n"
                                                    << console.output();
    }

    auto row = row_of("t1");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->domid, domid);
    EXPECT_TRUE(row->state == "-b----" || row->state == "r-----") << row->state;
    RunResult list = uxl({"list"});
    EXPECT_EQ(list.out.rfind("Name                                        ID   Mem VCPUs\tState\tTime(s)\n", 0), 0u)
        << list.out;

    RunResult down = uxl({"shutdown", "-w", "t1"});
    EXPECT_EQ(down.exit_code, 0) << show(down);
    EXPECT_FALSE(row_of("t1").has_value()) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 10s)) << describe(domain_procs());
    EXPECT_FALSE(fs::exists(m_root + "/d/" + std::to_string(domid)));
}

// 2. reboot → back with a new domid, the banner a second time.

TEST_F(UxldIntegration, RebootComesBackWithNewDomid)
{
    int domid = create("rb");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("rb")) << no_banner("rb");

    RunResult r = uxl({"reboot", "rb"});
    ASSERT_EQ(r.exit_code, 0) << show(r);

    int new_domid = -1;
    EXPECT_TRUE(wait_until([&] {
        new_domid = domid_of("rb").value_or(-1);
        return new_domid > 0 && new_domid != domid;
    }, kBootTimeout)) << uxl({"list"}).out;
    EXPECT_TRUE(wait_for_banner("rb", 2)) << no_banner("rb");
    auto row = row_of("rb");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->domid, new_domid);
    EXPECT_EQ(guests().size(), 1u);
}

// 3. on_crash: the UML process killed with SIGKILL.

TEST_F(UxldIntegration, OnCrashDestroyRemovesTheDomain)
{
    ASSERT_GT(create("cd", "on_crash=\"destroy\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("cd")) << no_banner("cd");
    auto guest = uml_main("cd");
    ASSERT_TRUE(guest.has_value()) << describe(procs_mentioning(m_root));
    ASSERT_EQ(::kill(guest->pid, SIGKILL), 0);

    EXPECT_TRUE(wait_until([&] { return !row_of("cd").has_value(); }, 30s)) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 10s)) << describe(domain_procs());
    EXPECT_TRUE(wait_until([&] { return domain_dirs().empty(); }, 10s));
}

TEST_F(UxldIntegration, OnCrashRestartComesBackWithNewDomid)
{
    int domid = create("cr", "on_crash=\"restart\"\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("cr")) << no_banner("cr");
    auto guest = uml_main("cr");
    ASSERT_TRUE(guest.has_value()) << describe(procs_mentioning(m_root));
    ASSERT_EQ(::kill(guest->pid, SIGKILL), 0);

    EXPECT_TRUE(wait_until([&] {
        auto id = domid_of("cr");
        return id && *id != domid;
    }, kBootTimeout)) << uxl({"list"}).out;
    EXPECT_TRUE(wait_for_banner("cr", 2)) << no_banner("cr");
    auto again = uml_main("cr");
    ASSERT_TRUE(again.has_value());
    EXPECT_NE(again->pid, guest->pid);
}

TEST_F(UxldIntegration, OnCrashPreserveKeepsItUntilDestroy)
{
    ASSERT_GT(create("cp", "on_crash=\"preserve\"\n"), 0);
    ASSERT_TRUE(wait_for_banner("cp")) << no_banner("cp");
    auto guest = uml_main("cp");
    ASSERT_TRUE(guest.has_value()) << describe(procs_mentioning(m_root));
    ASSERT_EQ(::kill(guest->pid, SIGKILL), 0);

    EXPECT_TRUE(wait_until([&] {
        auto row = row_of("cp");
        return row && row->state == "---sc-";
    }, 30s)) << uxl({"list"}).out;

    RunResult r = uxl({"destroy", "cp"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_FALSE(row_of("cp").has_value()) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 10s)) << describe(domain_procs());
    EXPECT_TRUE(wait_until([&] { return domain_dirs().empty(); }, 10s));
}

// 4. pause/unpause.

TEST_F(UxldIntegration, PauseAndUnpause)
{
    ASSERT_GT(create("pz"), 0);
    ASSERT_TRUE(wait_for_banner("pz")) << no_banner("pz");

    RunResult r = uxl({"pause", "pz"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    auto row = row_of("pz");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->state, "--p---");

    r = uxl({"unpause", "pz"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    row = row_of("pz");
    ASSERT_TRUE(row.has_value());
    EXPECT_TRUE(row->state == "-b----" || row->state == "r-----") << row->state;

    ConsoleSession console("pz", env());
    ASSERT_TRUE(console.send("echo ping-$((1+1))\n"));
    EXPECT_TRUE(console.wait_for("ping-2", 20s)) << "the console did not answer:\n" << console.output();
}

// 4b. memory: a guest booted with maxmem is ballooned down to memory; mem-set gives it
//     back (the guest sees the free memory come back) and refuses more than it booted with.

TEST_F(UxldIntegration, BalloonsToMemoryAndMemSetGivesItBack)
{
    int domid = create("mb", "maxmem=128\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("mb")) << no_banner("mb");
    EXPECT_TRUE(wait_until([&] { return slurp(m_root + "/log/uxld.log").find("memory 128 -> 64 MiB") != std::string::npos; },
                           10s))
        << slurp(m_root + "/log/uxld.log");
    auto mem_column = [&] {
        RunResult r = uxl({"list", "mb"});
        std::istringstream in(r.out);
        std::string line, name, id, mem;
        std::getline(in, line);
        std::getline(in, line);
        std::istringstream(line) >> name >> id >> mem;
        return mem;
    };
    EXPECT_EQ(mem_column(), "64");
    // MemFree inside the guest, in KiB.
    auto mem_free = [&](int round) -> long {
        ConsoleSession console("mb", env());
        const std::string done = "-KB" + std::to_string(40 + round);
        console.send("\n");
        console.send("echo FREE-$(grep MemFree /proc/meminfo | tr -s ' ' | cut -d' ' -f2)-KB$((40+" +
                     std::to_string(round) + "))\n");
        if (!console.wait_for(done, 20s))
            return -1;
        std::string out = console.output();
        size_t end = out.rfind(done);
        size_t start = out.rfind("FREE-", end);
        return start == std::string::npos ? -1 : std::atol(out.c_str() + start + 5);
    };
    const long before = mem_free(1);
    ASSERT_GT(before, 0);

    RunResult r = uxl({"mem-set", "mb", "112m"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    EXPECT_EQ(mem_column(), "112");
    const long after = mem_free(2);
    EXPECT_GT(after - before, 40L * 1024) << "MemFree " << before << " -> " << after << " KiB";

    r = uxl({"mem-set", "mb", "200"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_NE(r.err.find("booted with 128 MiB"), std::string::npos) << show(r);
    EXPECT_NE(r.err.find("cannot set domid " + std::to_string(domid) + " dynamic max memory to : 200"),
              std::string::npos) << show(r);
    r = uxl({"mem-set", "mb", "12q"});
    EXPECT_EQ(r.exit_code, 1) << show(r);
    EXPECT_EQ(r.err, "invalid memory size: 12q\n") << show(r);
    EXPECT_EQ(mem_column(), "112");
}

// 4c. vm-list and vcpu-list show a running guest in xl's layouts.

TEST_F(UxldIntegration, VmListAndVcpuListShowTheGuest)
{
    int domid = create("mb");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("mb")) << no_banner("mb");
    // vm-list: every domain, Domain-0 too (libxl_list_vm skips only stub domains).
    RunResult vms = uxl({"vm-list"});
    EXPECT_EQ(vms.exit_code, 0) << show(vms);
    EXPECT_EQ(vms.out.rfind("UUID                                  ID    name\n", 0), 0u) << vms.out;
    EXPECT_NE(vms.out.find("  " + std::to_string(domid) + "    mb "), std::string::npos) << vms.out;
    EXPECT_NE(vms.out.find("  0    Domain-0 "), std::string::npos) << vms.out;
    // vcpu-list: the guest's one vCPU, online; Domain-0's are the host's CPUs.
    RunResult vcpus = uxl({"vcpu-list", "mb"});
    EXPECT_EQ(vcpus.exit_code, 0) << show(vcpus);
    EXPECT_EQ(count_of(vcpus.out, "\n"), 2u) << vcpus.out;
    EXPECT_EQ(vcpus.out.rfind("Name                                ID  VCPU   CPU State   Time(s) Affinity", 0), 0u)
        << vcpus.out;
    EXPECT_NE(vcpus.out.find("\nmb                               " + std::string(5 - std::to_string(domid).size(), ' ') +
                             std::to_string(domid) + "     0 "),
              std::string::npos) << vcpus.out;
    EXPECT_NE(vcpus.out.find("  all / all\n"), std::string::npos) << vcpus.out;
    vcpus = uxl({"vcpu-list"});
    EXPECT_EQ(count_of(vcpus.out, "\nDomain-0 "), static_cast<size_t>(::sysconf(_SC_NPROCESSORS_ONLN))) << vcpus.out;

}

// 5. destroy leaves no process (UML helpers included) and nothing in DIR/d.

TEST_F(UxldIntegration, DestroyLeavesNoProcess)
{
    ASSERT_GT(create("ds"), 0);
    ASSERT_TRUE(wait_for_banner("ds")) << no_banner("ds");
    // UML runs helper processes next to its main one; all of them must go.
    ASSERT_GE(procs_mentioning(" umid=ds ").size(), 2u) << describe(procs_mentioning(m_root));

    RunResult r = uxl({"destroy", "ds"});
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_FALSE(row_of("ds").has_value()) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 10s)) << describe(domain_procs());
    EXPECT_TRUE(wait_until([&] { return domain_dirs().empty(); }, 10s));
}

// 6. kill -9 uxld with three guests running → restart → all re-adopted, console output written
//    meanwhile present, shutdown still clean.

TEST_F(UxldIntegration, KilledDaemonReadoptsItsGuests)
{
    const std::vector<std::string> names{"a1", "a2", "a3"};
    std::vector<int> domids;
    for (const auto& n : names) {
        domids.push_back(create(n));
        ASSERT_GT(domids.back(), 0);
    }
    std::vector<pid_t> pids;
    for (const auto& n : names) {
        ASSERT_TRUE(wait_for_banner(n)) << no_banner(n);
        auto p = uml_main(n);
        ASSERT_TRUE(p.has_value()) << n;
        pids.push_back(p->pid);
    }

    // A guest command that prints a numbered line every half second (for two minutes at
    // most). The echoed command line itself contains no numbered line; only its output does.
    {
        ConsoleSession console("a1", env());
        ASSERT_TRUE(console.send("(i=0; while [ $i -lt 240 ]; do echo while-you-were-away-$i-tick; sleep 0.5; "
                                 "i=$((i+1)); done) &\n"));
        ASSERT_TRUE(console.wait_for("while-you-were-away-0-tick", 10s)) << console.output();
    }
    stop_daemon(SIGKILL);

    // Whatever lands in the log after this offset was written while uxld was down.
    const size_t logged_before = console_log("a1").size();
    std::string tick;
    EXPECT_TRUE(wait_until([&] {
        std::string log = console_log("a1");
        std::string since = log.size() > logged_before ? log.substr(logged_before) : "";
        auto begin = since.find("while-you-were-away-");
        auto end = begin == std::string::npos ? begin : since.find("-tick", begin);
        if (end == std::string::npos)
            return false;
        tick = since.substr(begin, end + 5 - begin);
        return true;
    }, 30s)) << "the guest's output did not reach the console log while uxld was down";
    for (size_t i = 0; i < names.size(); ++i) {
        auto p = read_proc(pids[i]);
        EXPECT_TRUE(p && p->cmdline.find(" umid=" + names[i] + " ") != std::string::npos)
            << names[i] << " died with uxld";
    }

    start_daemon();
    EXPECT_TRUE(wait_until([&] {
        auto rows = guests();
        if (rows.size() != names.size())
            return false;
        for (size_t i = 0; i < names.size(); ++i)
            if (domid_of(names[i]) != domids[i])
                return false;
        return true;
    }, 20s)) << uxl({"list"}).out;
    for (const auto& n : names) {
        auto row = row_of(n);
        ASSERT_TRUE(row.has_value()) << n;
        EXPECT_TRUE(row->state == "-b----" || row->state == "r-----") << n << ": " << row->state;
    }

    {
        ConsoleSession console("a1", env());
        EXPECT_FALSE(tick.empty());
        EXPECT_TRUE(console.wait_for(tick, 10s)) << tick << " is not in the replay:\n" << console.output();
    }

    for (const auto& n : names) {
        RunResult r = uxl({"shutdown", "-w", n});
        EXPECT_EQ(r.exit_code, 0) << n << ": " << show(r);
    }
    EXPECT_TRUE(guests().empty()) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 10s)) << describe(domain_procs());
    EXPECT_TRUE(wait_until([&] { return domain_dirs().empty(); }, 10s));
}

// 7. A create that fails leaves nothing behind.

TEST_F(UxldIntegration, FailedCreateLeavesNothingBehind)
{
    RunResult r = uxl({"create", write_config("bad", "", "/nonexistent/linux")});
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("/nonexistent/linux"), std::string::npos) << "no clear message: " << show(r);
    EXPECT_TRUE(guests().empty()) << uxl({"list"}).out;
    EXPECT_TRUE(domain_dirs().empty());
    EXPECT_TRUE(domain_procs().empty()) << describe(domain_procs());
    EXPECT_TRUE(procs_mentioning("uxl-monitor --dir " + m_root).empty());
}

TEST_F(UxldIntegration, DuplicateNameIsRefused)
{
    int domid = create("x");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_for_banner("x")) << no_banner("x");
    auto guest = uml_main("x");
    ASSERT_TRUE(guest.has_value());

    RunResult r = uxl({"create", write_config("x")});
    EXPECT_NE(r.exit_code, 0) << show(r);
    EXPECT_NE(r.err.find("Domain with name \"x\" already exists."), std::string::npos) << show(r);

    auto rows = guests();
    ASSERT_EQ(rows.size(), 1u) << uxl({"list"}).out;
    EXPECT_EQ(rows[0].name, "x");
    EXPECT_EQ(rows[0].domid, domid);
    auto still = uml_main("x");
    ASSERT_TRUE(still.has_value());
    EXPECT_EQ(still->pid, guest->pid);
    EXPECT_EQ(domain_dirs(), std::vector<std::string>{std::to_string(domid)});
}

// 8. The control socket survives bad clients.

TEST_F(UxldIntegration, ControlSocketSurvivesBadClients)
{
    // Reads until `lines` complete lines have arrived (0: until EOF, marked "<EOF>") or the
    // deadline passes.
    auto read_some = [](int fd, Clock::duration timeout, size_t lines) {
        std::string got;
        auto deadline = Clock::now() + timeout;
        for (;;) {
            if (lines > 0 && count_of(got, "\n") >= lines)
                return got;
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
            if (left <= 0)
                return got;
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0)
                return got;
            char buf[4096];
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                return got + "<EOF>";
            got.append(buf, static_cast<size_t>(n));
        }
    };

    // A client that sends half a line and then nothing: must not block anyone.
    int idle = connect_socket();
    ASSERT_GE(idle, 0);
    ASSERT_EQ(::send(idle, "{\"id\": 1, \"op\"", 14, MSG_NOSIGNAL), 14);

    // Garbage: a protocol error, the connection stays usable.
    int fd = connect_socket();
    ASSERT_GE(fd, 0);
    std::string garbage = std::string("\x01\x02not json at all\xff", 19) + "\n";
    ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL), static_cast<ssize_t>(garbage.size()));
    std::string reply = read_some(fd, 10s, 2);  // the greeting and the error
    EXPECT_NE(reply.find("\"ok\":false"), std::string::npos) << reply;
    // A request that is JSON but not a valid one: the error answers its id.
    std::string bad_op = "{\"id\": 77, \"op\": \"no-such-op\"}\n";
    ASSERT_EQ(::send(fd, bad_op.data(), bad_op.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bad_op.size()));
    std::string bad_reply = read_some(fd, 10s, 1);
    EXPECT_NE(bad_reply.find("\"id\":77"), std::string::npos) << bad_reply;
    EXPECT_NE(bad_reply.find("unknown request"), std::string::npos) << bad_reply;
    EXPECT_NE(reply.find("protocol"), std::string::npos) << reply;
    std::string list_req = "{\"id\": 2, \"op\": \"list\", \"domain\": \"\", \"long\": false}\n";
    ASSERT_EQ(::send(fd, list_req.data(), list_req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(list_req.size()));
    std::string more = read_some(fd, 10s, 1);
    EXPECT_NE((reply + more).find("Domain-0"), std::string::npos) << reply << more;
    ::close(fd);

    // An oversized line (2 MiB, no newline): an error reply and/or a drop.
    fd = connect_socket();
    ASSERT_GE(fd, 0);
    std::string big(2 << 20, 'a');
    size_t sent = 0;
    auto deadline = Clock::now() + 20s;
    while (sent < big.size() && Clock::now() < deadline) {
        pollfd p{fd, POLLOUT, 0};
        if (::poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = ::send(fd, big.data() + sent, big.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            break;  // the daemon dropped us: acceptable
        sent += static_cast<size_t>(n);
    }
    std::string end = read_some(fd, 20s, 0);
    EXPECT_NE(end.find("<EOF>"), std::string::npos) << "the oversized client was not dropped";
    EXPECT_NE(end.find("request too long"), std::string::npos) << "the error reply was lost: " << end.substr(0, 300);
    ::close(fd);

    // Binary junk with NULs, then a hang-up mid-line.
    fd = connect_socket();
    ASSERT_GE(fd, 0);
    std::string junk(4096, '\0');
    for (size_t i = 0; i < junk.size(); ++i)
        junk[i] = static_cast<char>(i * 131 % 256);
    (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    ::close(fd);

    RunResult r = uxl({"list"}, "", 10s);
    EXPECT_EQ(r.exit_code, 0) << show(r);
    EXPECT_NE(r.out.find("Domain-0"), std::string::npos) << r.out;
    EXPECT_TRUE(daemon_alive());
    ::close(idle);
}

// ---------------------------------------------------------------------------------------------
// `uxl shutdown` ends in a powered-off guest (issue 10): during boot, with an init that
// answers ctrl-alt-del with a reboot, and for a mix of booting and running guests.

// Rebooting in place leaves a second kernel banner ("Linux version") in the console log.
constexpr const char* kKernelBanner = "Linux version";

TEST_F(UxldIntegration, ShutdownDuringBootPowersTheGuestOff)
{
    for (int i = 0; i < 3; ++i) {
        const std::string name = "sb" + std::to_string(i);
        SCOPED_TRACE(name);
        RunResult made = uxl({"create", write_config(name)});
        ASSERT_EQ(made.exit_code, 0) << show(made);
        // The kernel is up and printing, its init not yet: the window in which UML's own
        // answer to ctrl-alt-del is a reboot.
        ASSERT_TRUE(wait_until([&] { return console_log(name).find("Kernel command line:") != std::string::npos; },
                               kBootTimeout)) << console_log(name);
        RunResult down = uxl({"shutdown", "-w", name}, "", 60s);
        EXPECT_EQ(down.exit_code, 0) << show(down);
        EXPECT_NE(down.err.find("has been destroyed"), std::string::npos) << show(down);
        EXPECT_FALSE(row_of(name).has_value()) << "it came back: " << uxl({"list"}).out;
        EXPECT_EQ(count_of(console_log(name), kKernelBanner), 1u) << "it rebooted:\n" << console_log(name);
        EXPECT_NE(console_log(name).find("uxl example guest: powering off"), std::string::npos)
            << "not a clean poweroff through init:\n" << console_log(name);
    }
    EXPECT_EQ(slurp(m_root + "/log/uxld.log").find("Rebooting now"), std::string::npos);
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 20s)) << describe(domain_procs());
}

TEST_F(UxldIntegration, ShutdownOfAGuestWhoseInitRebootsOnCtrlAltDelStillPowersOff)
{
    for (int i = 0; i < 3; ++i) {
        const std::string name = "cr" + std::to_string(i);
        SCOPED_TRACE(name);
        // The example image's init reboots on ctrl-alt-del with uxl.cad=reboot, as systemd does.
        int domid = create(name, "extra=\"uxl.cad=reboot\"\non_reboot=\"restart\"\n");
        ASSERT_GT(domid, 0);
        ASSERT_TRUE(wait_for_banner(name)) << no_banner(name);
        RunResult down = uxl({"shutdown", "-w", name}, "", 60s);
        EXPECT_EQ(down.exit_code, 0) << show(down);
        EXPECT_NE(down.err.find("Domain " + std::to_string(domid) + " has been destroyed"), std::string::npos)
            << show(down);
        EXPECT_FALSE(row_of(name).has_value()) << "it came back: " << uxl({"list"}).out;
    }
    const std::string log = slurp(m_root + "/log/uxld.log");
    EXPECT_NE(log.find("rebooted after a shutdown request: taking it as a poweroff"), std::string::npos) << log;
    EXPECT_EQ(log.find("Rebooting now"), std::string::npos) << log;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 20s)) << describe(domain_procs());
}

TEST_F(UxldIntegration, ShutdownAllWaitsForBootingAndRunningGuests)
{
    for (const char* name : {"up1", "up2"}) {
        ASSERT_GT(create(name), 0);
        ASSERT_TRUE(wait_for_banner(name)) << no_banner(name);
    }
    for (const char* name : {"boot1", "boot2"}) {
        RunResult made = uxl({"create", write_config(name)});
        ASSERT_EQ(made.exit_code, 0) << show(made);
    }
    RunResult down = uxl({"shutdown", "-a", "-w"}, "", 120s);
    EXPECT_EQ(down.exit_code, 0) << show(down);
    EXPECT_NE(down.err.find("Waiting for 4 domains"), std::string::npos) << show(down);
    EXPECT_EQ(count_of(down.err, "has been destroyed"), 4u) << show(down);
    EXPECT_TRUE(guests().empty()) << uxl({"list"}).out;
    for (const char* name : {"up1", "up2", "boot1", "boot2"})
        EXPECT_EQ(count_of(console_log(name), kKernelBanner), 1u) << name << " rebooted:\n" << console_log(name);
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 20s)) << describe(domain_procs());
}

// A guest whose init never takes ctrl-alt-del over (here a shell that only waits) cannot
// take a clean shutdown: refused in xl's words for a guest without PV control; -F halts it.
TEST_F(UxldIntegration, ShutdownOfAGuestThatCannotTakeItIsRefusedAndForcedWithF)
{
    int domid = create("nocad", "extra='rdinit=/bin/sh -- -c \"echo no-cad-init; exec sleep 100000\"'\n");
    ASSERT_GT(domid, 0);
    ASSERT_TRUE(wait_until([&] { return console_log("nocad").find("no-cad-init") != std::string::npos; },
                           kBootTimeout)) << console_log("nocad");
    RunResult refused = uxl({"shutdown", "nocad"}, "", 60s);
    EXPECT_EQ(refused.exit_code, 1) << show(refused);
    EXPECT_NE(refused.err.find("PV control interface not available: external graceful shutdown not possible.\n"
                               "Use \"-F\" to fallback to ACPI power event.\n"),
              std::string::npos) << show(refused);
    EXPECT_NE(refused.err.find("shutdown failed (rc=-8)"), std::string::npos) << show(refused);
    EXPECT_EQ(domid_of("nocad").value_or(-1), domid) << "a refused shutdown changed the domain";

    RunResult forced = uxl({"shutdown", "-F", "-w", "nocad"}, "", 60s);
    EXPECT_EQ(forced.exit_code, 0) << show(forced);
    EXPECT_NE(forced.err.find("has been destroyed"), std::string::npos) << show(forced);
    EXPECT_FALSE(row_of("nocad").has_value()) << uxl({"list"}).out;
    EXPECT_TRUE(wait_until([&] { return domain_procs().empty(); }, 20s)) << describe(domain_procs());
}

// `rename` changes every place that reports the name, the stored config (`list -l`) too:
// xendomains acts on what `list -l` says.
TEST_F(UxldIntegration, RenameShowsTheNewNameInListLong)
{
    ASSERT_GT(create("before"), 0);
    RunResult r = uxl({"rename", "before", "after"});
    ASSERT_EQ(r.exit_code, 0) << show(r);
    RunResult longlist = uxl({"list", "-l"});
    EXPECT_EQ(longlist.exit_code, 0) << show(longlist);
    EXPECT_NE(longlist.out.find("\"name\": \"after\""), std::string::npos) << longlist.out;
    EXPECT_EQ(longlist.out.find("\"name\": \"before\""), std::string::npos) << longlist.out;
    EXPECT_TRUE(row_of("after").has_value());
    EXPECT_FALSE(row_of("before").has_value());
}

}  // namespace
