// uxl: the xl-compatible command line.
//
//   1. read xl's global options (they must come before the command);
//   2. find the command (exact name, else a unique prefix);
//   3. run it; its return value is the exit status, with xl's conventions.
#include "command.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using namespace uxl::cli;

int main(int argc, char** argv)
{
    GlobalOptions globals;
    if (argc > 0 && argv[0]) {
        const char* slash = std::strrchr(argv[0], '/');
        globals.program = slash ? slash + 1 : argv[0];
    }

    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; ++i) {
        if (std::strcmp(argv[i], "--") == 0) {
            ++i;
            break;
        }
        for (const char* p = argv[i] + 1; *p; ++p) {
            switch (*p) {
            case 'v': ++globals.verbose; break;
            case 'N': globals.dry_run = true; break;
            case 'f': globals.force = true; break;
            case 't': globals.progress_cr = true; break;
            case 'T': globals.timestamps = true; break;
            default:
                std::fprintf(stderr, "unknown global option\n");
                return k_exit_failure;
            }
        }
    }

    if (i >= argc) {
        print_full_help(globals);
        return k_exit_failure;
    }

    const Command* command = find_command(argv[i]);
    if (!command) {
        std::fprintf(stderr, "command not implemented\n");
        return k_exit_failure;
    }
    if (globals.dry_run && !command->can_dryrun) {
        std::fprintf(stderr, "command does not implement -N (dryrun) option\n");
        return k_exit_failure;
    }

    std::vector<std::string> args(argv + i + 1, argv + argc);
    try {
        return command->main(globals, *command, args);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: internal error: %s\n", globals.program.c_str(), e.what());
        return k_exit_failure;
    }
}
