// The exception boundary of detached coroutines: a coroutine that throws is logged and
// ends alone; the event loop and the other coroutines carry on.
#include "guarded.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace uxl::daemon {
namespace {

std::string read_all(const std::string& path)
{
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(SpawnGuarded, AThrowingCoroutineIsLoggedAndTheLoopCarriesOn)
{
    const std::string path = "/tmp/uxl-guarded-test-" + std::to_string(::getpid()) + ".log";
    std::filesystem::remove(path);
    DaemonLog log(path);
    asio::io_context io;
    bool after = false;
    spawn_guarded(io.get_executor(), log, "a buggy request", []() -> asio::awaitable<void> {
        throw std::runtime_error("bug");
        co_return;
    });
    // Spawned after the throwing one: it still runs, because run() did not end early.
    spawn_guarded(io.get_executor(), log, "the next request", [&after]() -> asio::awaitable<void> {
        after = true;
        co_return;
    });
    EXPECT_NO_THROW(io.run());
    EXPECT_TRUE(after);
    const std::string text = read_all(path);
    EXPECT_NE(text.find("internal error in a buggy request: bug"), std::string::npos) << text;
    std::filesystem::remove(path);
}

TEST(SpawnGuarded, AValueReturningCoroutineCompletesQuietly)
{
    const std::string path = "/tmp/uxl-guarded-test-v-" + std::to_string(::getpid()) + ".log";
    std::filesystem::remove(path);
    DaemonLog log(path);
    asio::io_context io;
    int seen = 0;
    auto task = [&seen]() -> asio::awaitable<int> {
        seen = 7;
        co_return 7;
    };
    spawn_guarded(io.get_executor(), log, "a request", task);
    io.run();
    EXPECT_EQ(seen, 7);
    EXPECT_EQ(read_all(path).find("internal error"), std::string::npos);
    std::filesystem::remove(path);
}

}  // namespace
}  // namespace uxl::daemon
