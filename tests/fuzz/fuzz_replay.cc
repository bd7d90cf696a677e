// Runs the fuzz target over every file given on the command line (the corpus), so that the
// target is exercised in every build, not only in clang fuzzing builds.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv)
{
    int count = 0;
    for (int i = 1; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        // Every prefix too: truncated files are the most common malformed input.
        for (size_t n = 0; n < bytes.size(); n += 7)
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), n);
        ++count;
    }
    std::printf("replayed %d corpus files\n", count);
    return 0;
}
