#include "config_lookup.h"

#include "install_paths.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace uxl::cli {

std::vector<std::string> config_search_path()
{
    if (const char* env = std::getenv("UXL_CONFIG_PATH"); env && *env) {
        std::vector<std::string> dirs;
        std::string_view rest(env);
        while (!rest.empty()) {
            size_t colon = rest.find(':');
            std::string_view dir = rest.substr(0, colon);
            if (!dir.empty())
                dirs.emplace_back(dir);
            if (colon == std::string_view::npos)
                break;
            rest.remove_prefix(colon + 1);
        }
        return dirs;
    }
    // install::conf_dir is where this build installs uxl's configuration (/etc/uxl unless
    // configured otherwise: cmake/install_dirs.cmake); /etc/xen is Xen's own.
    return {".", install::conf_dir, "/etc/xen"};
}

std::string find_config_file(std::string_view name, std::vector<std::string>* searched)
{
    if (name.find('/') != std::string_view::npos)
        return std::string(name);
    for (const std::string& dir : config_search_path()) {
        std::string candidate = dir == "." ? std::string(name) : dir + "/" + std::string(name);
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
            return candidate;
        if (searched)
            searched->push_back(dir);
    }
    return std::string(name);
}

bool read_whole_file(const std::string& path, std::string& contents, std::string& error)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        error = std::strerror(EISDIR);
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno ? errno : ENOENT);
        return false;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        error = std::strerror(errno ? errno : EIO);
        return false;
    }
    contents = std::move(buffer).str();
    return true;
}

std::optional<std::string> read_kernel_head(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head;
}

}  // namespace uxl::cli
