# Host integration files (issue 5): rc.d scripts, systemd units, /etc/uxl, examples, man
# pages, bash completion. The binaries' own install() rules are in daemon/ and cli/.
#
#   etc/rc.d/{xencommons,xendomains}            NetBSD/DragonFly-style rc.d scripts
#   libexec/uxl/uxl-domains                     the Linux auto-directory helper
#   lib/systemd/system/{uxld,uxl-domains}.service
#   etc/uxl/uxl.conf, etc/uxl/scripts/, etc/uxl/auto/
#   share/doc/uxl/examples/, share/man/man{1,5,8}/, share/bash-completion/completions/uxl
#
# With CMAKE_INSTALL_PREFIX=/usr, GNUInstallDirs puts the configuration in /etc.

option(UXL_INSTALL_XL_LINK "Install an `xl' symlink to uxl (and its completion)" OFF)
set(UXL_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd units go (relative to the prefix, or absolute)")
set(UXL_RC_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/rc.d" CACHE STRING
    "Where the rc.d scripts xencommons and xendomains go")
set(UXL_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "Where the bash completion goes")

set(UXL_FULL_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(UXL_FULL_SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
set(UXL_RC_HELPER_DIR "${CMAKE_INSTALL_FULL_LIBEXECDIR}/uxl")
set(UXL_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/uxl")

# rc.d scripts: runnable as they are (binaries are found in PATH, /usr/local and /usr/pkg).
install(PROGRAMS rc.d/xencommons rc.d/xendomains DESTINATION "${UXL_RC_DIR}")
install(PROGRAMS rc.d/uxl-domains DESTINATION "${UXL_RC_HELPER_DIR}")

# systemd units, with this install's paths.
foreach(unit uxld.service uxl-domains.service)
    configure_file(rc.d/systemd/${unit} ${CMAKE_CURRENT_BINARY_DIR}/systemd/${unit} @ONLY)
    install(FILES ${CMAKE_CURRENT_BINARY_DIR}/systemd/${unit} DESTINATION "${UXL_SYSTEMD_UNITDIR}")
endforeach()

# /etc/uxl: the global config, the hotplug scripts directory and the auto directory.
install(FILES etc/uxl.conf DESTINATION "${UXL_CONF_DIR}")
install(FILES etc/default/uxl-domains DESTINATION "${CMAKE_INSTALL_SYSCONFDIR}/default")
install(PROGRAMS share/scripts/vif-bridge share/scripts/vif-route share/scripts/block
        DESTINATION "${UXL_CONF_DIR}/scripts")
install(DIRECTORY DESTINATION "${UXL_CONF_DIR}/auto")

# Example configs and the example guest builder.
install(PROGRAMS share/examples/build-guest.sh DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples")
install(DIRECTORY share/examples/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples"
    PATTERN build-guest.sh EXCLUDE)

# Man pages.
install(FILES man/uxl.1 DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
install(FILES man/uxl.cfg.5 DESTINATION "${CMAKE_INSTALL_MANDIR}/man5")
install(FILES man/uxld.8 man/xendomains.8 DESTINATION "${CMAKE_INSTALL_MANDIR}/man8")

# Bash completion.
install(FILES completion/uxl.bash DESTINATION "${UXL_BASH_COMPLETION_DIR}" RENAME uxl)

cmake_path(ABSOLUTE_PATH UXL_BASH_COMPLETION_DIR BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}"
    OUTPUT_VARIABLE UXL_FULL_BASH_COMPLETION_DIR)
if(UXL_INSTALL_XL_LINK)
    install(CODE "
        file(MAKE_DIRECTORY \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_BINDIR}\")
        file(CREATE_LINK uxl \"\$ENV{DESTDIR}${CMAKE_INSTALL_FULL_BINDIR}/xl\" SYMBOLIC)
        message(STATUS \"Installing: \$ENV{DESTDIR}${CMAKE_INSTALL_FULL_BINDIR}/xl -> uxl\")
        file(MAKE_DIRECTORY \"\$ENV{DESTDIR}${UXL_FULL_BASH_COMPLETION_DIR}\")
        file(CREATE_LINK uxl \"\$ENV{DESTDIR}${UXL_FULL_BASH_COMPLETION_DIR}/xl\" SYMBOLIC)
    ")
endif()
