// Running uxl-xml, the helper that does uxl's libvirt XML conversions (cli/uxl_xml.cc has its
// interface), so that libxml2 stays out of the statically linked `uxl`.
#pragma once

#include <string>
#include <vector>

namespace uxl::cli {

// The helper's path: $UXL_XML_HELPER when set (tests); else, for a uxl run from the build
// tree it was built in, that tree's cli/uxl-xml; else the installed LIBEXECDIR/uxl/uxl-xml
// (cmake/install_dirs.cmake). As uxld finds uxl-monitor (daemon/uxld/paths.cc).
std::string xml_helper_path();

// Runs `uxl-xml ARGS...` (fork and exec, no shell). Its stdin is `input` when given (else
// uxl's), its stdout goes to `output` when given (else to uxl's), its stderr is uxl's.
// Returns its exit status, or 1 once a one-line error is printed when it cannot be run
// (missing helper, killed by a signal).
int run_xml_helper(const std::vector<std::string>& args, const std::string* input, std::string* output);

}  // namespace uxl::cli
