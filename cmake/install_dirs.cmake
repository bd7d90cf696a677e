# Where an install puts uxl's files, decided once, here, at configure time. Everything that
# looks for an installed file takes its path from these variables:
#
#   - the binaries, through the generated header install_paths.h (cmake/install_paths.h.in),
#     which only the files that look things up include (daemon/uxld/paths.cc,
#     cli/config_lookup.cc), so that another prefix recompiles those two files alone;
#   - the rc scripts, units, completion, man pages and example settings, through
#     uxl_configured_copy() in cmake/install.cmake, which writes this install's paths into
#     the installed copies (the source tree's copies keep the /etc defaults and run as they are).
#
# The configuration is in /etc for every prefix on Linux (/etc/uxl/, /etc/default/uxl-domains),
# as Xen's configure does (m4/paths.m4): there is one uxld per host, so one configuration,
# whichever prefix the binaries went to, and /etc/uxl is where an xl user looks for it. Only
# -DCMAKE_INSTALL_SYSCONFDIR=... changes that (e.g. `etc' for a self-contained prefix); the
# binaries then use that directory instead. GNUInstallDirs alone would put a /usr/local
# install's configuration in /usr/local/etc.
set(_uxl_sysconfdir_help "Read-only single-machine data: uxl's configuration goes to SYSCONFDIR/uxl (/etc for every prefix on Linux, as Xen)")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    if(NOT DEFINED CACHE{CMAKE_INSTALL_SYSCONFDIR})
        set(CMAKE_INSTALL_SYSCONFDIR "/etc" CACHE PATH "${_uxl_sysconfdir_help}")
    else()
        # A build directory configured before this rule holds GNUInstallDirs' own default
        # (`etc', with GNUInstallDirs' help text); a value given with -D keeps another text.
        get_property(_help CACHE CMAKE_INSTALL_SYSCONFDIR PROPERTY HELPSTRING)
        if("$CACHE{CMAKE_INSTALL_SYSCONFDIR}" STREQUAL "etc" AND _help STREQUAL "Read-only single-machine data (etc)")
            message(STATUS "uxl: CMAKE_INSTALL_SYSCONFDIR was GNUInstallDirs' default `etc'; now /etc (see cmake/install_dirs.cmake)")
            set(CMAKE_INSTALL_SYSCONFDIR "/etc" CACHE PATH "${_uxl_sysconfdir_help}" FORCE)
        endif()
    endif()
endif()
include(GNUInstallDirs)

set(UXL_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/uxl")
set(UXL_CONFIG_FILE "${UXL_CONF_DIR}/uxl.conf")
set(UXL_SCRIPTS_DIR "${UXL_CONF_DIR}/scripts")
set(UXL_AUTO_DIR "${UXL_CONF_DIR}/auto")
set(UXL_DEFAULTS_FILE "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/uxl-domains")
set(UXL_MONITOR_PATH "${CMAKE_INSTALL_FULL_LIBEXECDIR}/uxl/uxl-monitor")
set(UXL_XML_HELPER_PATH "${CMAKE_INSTALL_FULL_LIBEXECDIR}/uxl/uxl-xml")
set(UXL_FULL_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(UXL_FULL_SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
set(UXL_RC_HELPER_DIR "${CMAKE_INSTALL_FULL_LIBEXECDIR}/uxl")
# uxld run from this build tree (build/daemon/uxld) uses the tree's own uxl.conf, hook
# scripts and monitor instead of the installed ones (daemon/uxld/paths.cc).
set(UXL_BUILD_DAEMON_DIR "${PROJECT_BINARY_DIR}/daemon")
# uxl run from this build tree (build/cli/uxl) runs the tree's uxl-xml (cli/xml_helper.cc).
set(UXL_BUILD_CLI_DIR "${PROJECT_BINARY_DIR}/cli")

set(UXL_GENERATED_INCLUDE_DIR "${PROJECT_BINARY_DIR}/generated")
configure_file(${CMAKE_CURRENT_LIST_DIR}/install_paths.h.in
    ${UXL_GENERATED_INCLUDE_DIR}/install_paths.h @ONLY)

# The paths are compiled in: `cmake --install --prefix OTHER' would put the files where the
# binaries never look. Refuse it, before anything is installed.
install(CODE "
    if(NOT CMAKE_INSTALL_PREFIX STREQUAL \"${CMAKE_INSTALL_PREFIX}\")
        message(FATAL_ERROR \"This build was configured for the prefix ${CMAKE_INSTALL_PREFIX} and its \"
            \"binaries look for their files there; to install into \${CMAKE_INSTALL_PREFIX}, configure \"
            \"it with -DCMAKE_INSTALL_PREFIX=\${CMAKE_INSTALL_PREFIX} (DESTDIR=... is fine for staging).\")
    endif()
")
