// Runs the real `uxl` binary for tests: argv in, exit status and both output streams out.
#pragma once

#include <string>
#include <vector>

namespace uxl::test {

struct RunResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs UXL_BINARY with `args` in directory `cwd`, stdin from /dev/null, and extra
// environment entries ("NAME=value") added to the current environment.
RunResult run_uxl(const std::vector<std::string>& args, const std::string& cwd = ".",
                  const std::vector<std::string>& env = {});

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& contents);

}  // namespace uxl::test
