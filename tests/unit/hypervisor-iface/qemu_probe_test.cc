// The KVM probe: its firmware really runs to the end under QEMU (TCG here, as KVM does not
// work on these machines), and every way a probe guest can fail gives TCG with a reason,
// leaving no file and no process behind.
#include "qemu/qemu_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

namespace fs = std::filesystem;

namespace uxl {
namespace {

class QemuProbeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/uxl-probe-test.XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
    }
    void TearDown() override { fs::remove_all(m_dir); }

    // A stand-in QEMU: a shell script with this body.
    std::string fake_qemu(const std::string& body)
    {
        const std::string path = m_dir + "/fake-qemu";
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        ::chmod(path.c_str(), 0755);
        return path;
    }
    std::string scratch()
    {
        const std::string dir = m_dir + "/scratch";
        fs::create_directories(dir);
        return dir;
    }
    bool scratch_is_empty() { return fs::is_empty(m_dir + "/scratch"); }

    std::string m_dir;
};

TEST_F(QemuProbeTest, TheFirmwareRunsToTheEndUnderTcg)
{
    ASSERT_EQ(::access(std::string(QemuBackend::program).c_str(), X_OK), 0) << "qemu-system-x86 is needed";
    auto ran = run_probe_guest(std::string(QemuBackend::program), scratch(), "tcg", 20000);
    EXPECT_TRUE(ran.has_value()) << ran.error().message;
    EXPECT_TRUE(scratch_is_empty());
}

TEST_F(QemuProbeTest, AQemuThatAbortsIsAFailureWithItsFirstErrorLine)
{
    auto ran = run_probe_guest(fake_qemu("echo 'error: failed to set MSR 0x10a' >&2\nkill -ABRT $$"), scratch(),
                               "kvm", 5000);
    ASSERT_FALSE(ran.has_value());
    EXPECT_EQ(ran.error().message, "was killed by signal 6 (error: failed to set MSR 0x10a)");
    EXPECT_TRUE(scratch_is_empty());
}

TEST_F(QemuProbeTest, AQemuThatExitsOtherwiseIsAFailure)
{
    auto ran = run_probe_guest(fake_qemu("exit 1"), scratch(), "kvm", 5000);
    ASSERT_FALSE(ran.has_value());
    EXPECT_EQ(ran.error().message, "exited with status 1");
}

TEST_F(QemuProbeTest, AProbeGuestThatCrawlsIsKilledAtTheDeadline)
{
    const std::string pid_file = m_dir + "/pid";
    auto start = std::chrono::steady_clock::now();
    auto ran = run_probe_guest(fake_qemu("echo $$ > " + pid_file + "\nexec sleep 30"), scratch(), "kvm", 300);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
    ASSERT_FALSE(ran.has_value());
    EXPECT_EQ(ran.error().code, Errc::timeout);
    EXPECT_EQ(ran.error().message, "did not finish within 300 ms");
    int pid = 0;
    std::ifstream(pid_file) >> pid;
    ASSERT_GT(pid, 0);
    EXPECT_NE(::kill(pid, 0), 0) << "the probe guest was left running";
    EXPECT_TRUE(scratch_is_empty());
}

TEST_F(QemuProbeTest, AMissingQemuIsAFailure)
{
    auto ran = run_probe_guest(m_dir + "/no-such-qemu", scratch(), "kvm", 1000);
    ASSERT_FALSE(ran.has_value());
    EXPECT_TRUE(scratch_is_empty());
}

TEST(QemuAccelerator, ForcedSettingsAreTakenAsTheyAre)
{
    auto tcg = choose_qemu_accelerator("tcg");
    ASSERT_TRUE(tcg.has_value());
    EXPECT_EQ(tcg->accelerator, QemuHost::Accelerator::tcg);
    EXPECT_NE(tcg->reason.find("qemu.accelerator"), std::string::npos);
    auto kvm = choose_qemu_accelerator("kvm");
    ASSERT_TRUE(kvm.has_value());
    EXPECT_EQ(kvm->accelerator, QemuHost::Accelerator::kvm);
    EXPECT_FALSE(choose_qemu_accelerator("xen").has_value());
}

TEST(QemuAccelerator, AutoOnThisHostSaysWhy)
{
    // Whatever this host has, the answer comes with a reason; KVM only with a probe guest
    // that ran (these machines' kvm_pvm module gives TCG).
    auto host = choose_qemu_accelerator("auto");
    ASSERT_TRUE(host.has_value());
    EXPECT_FALSE(host->reason.empty());
    if (::access("/sys/module/kvm_pvm", F_OK) == 0) {
        EXPECT_EQ(host->accelerator, QemuHost::Accelerator::tcg) << host->reason;
    }
    if (host->accelerator == QemuHost::Accelerator::kvm) {
        EXPECT_EQ(host->reason, "a probe guest ran under KVM");
    }
}

}  // namespace
}  // namespace uxl
