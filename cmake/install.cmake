# Host integration files (issue 5): rc.d scripts, systemd units, /etc/uxl, examples, man
# pages, bash completion. The binaries' own install() rules are in daemon/ and cli/; every
# path comes from cmake/install_dirs.cmake. With the default sysconfdir (see there):
#
#   /etc/rc.d/{xencommons,xendomains}            NetBSD/DragonFly-style rc.d scripts
#   /etc/uxl/uxl.conf, /etc/uxl/scripts/, /etc/uxl/auto/, /etc/default/uxl-domains
#   PREFIX/libexec/uxl/{uxl-monitor,uxl-xml,uxl-domains}  the monitor, uxl's XML helper, the Linux auto-directory helper
#   PREFIX/lib/systemd/system/{uxld,uxl-domains}.service
#   PREFIX/share/doc/uxl/examples/, share/man/man{1,5,8}/, share/bash-completion/completions/uxl

option(UXL_INSTALL_XL_LINK "Install an `xl' symlink to uxl (and its completion)" OFF)
set(UXL_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd units go (relative to the prefix, or absolute)")
# Empty: SYSCONFDIR/rc.d, worked out at each configure (so it follows SYSCONFDIR). A build
# directory configured before kept the default of then (PREFIX/etc/rc.d) in its cache: drop it.
get_property(_help CACHE UXL_RC_DIR PROPERTY HELPSTRING)
if(_help STREQUAL "Where the rc.d scripts xencommons and xendomains go" AND
   ("$CACHE{UXL_RC_DIR}" STREQUAL "${CMAKE_INSTALL_PREFIX}/etc/rc.d" OR "$CACHE{UXL_RC_DIR}" STREQUAL "/etc/rc.d"))
    unset(UXL_RC_DIR CACHE)
endif()
set(UXL_RC_DIR "" CACHE STRING
    "Where the rc.d scripts xencommons and xendomains go (empty: SYSCONFDIR/rc.d)")
if(UXL_RC_DIR)
    set(uxl_rc_dir "${UXL_RC_DIR}")
else()
    set(uxl_rc_dir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/rc.d")
endif()
set(UXL_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" CACHE STRING
    "Where the bash completion goes")

# uxl_configured_copy(SOURCE OUTPUT_VARIABLE): a copy of SOURCE (relative to the source
# tree) in the build tree with this install's paths: the /etc defaults the source files are
# written with (/etc/uxl, /etc/default/uxl-domains) become the configured ones, and in the
# systemd units (*.service) the @VAR@s are filled in. The source files keep running from the
# tree as they are.
function(uxl_configured_copy source out_var)
    set(in "${PROJECT_SOURCE_DIR}/${source}")
    set(out "${PROJECT_BINARY_DIR}/installed/${source}")
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${in}")
    file(READ "${in}" text)
    string(REPLACE "/etc/default/uxl-domains" "${UXL_DEFAULTS_FILE}" text "${text}")
    string(REPLACE "/etc/uxl" "${UXL_CONF_DIR}" text "${text}")
    if(source MATCHES "[.]service$")
        string(CONFIGURE "${text}" text @ONLY)
    endif()
    # Rewritten only when it changes, so that a reconfigure reinstalls nothing.
    set(old "")
    if(EXISTS "${out}")
        file(READ "${out}" old)
    endif()
    if(NOT old STREQUAL text)
        file(WRITE "${out}" "${text}")
    endif()
    set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

# uxl_install_configured(FILES|PROGRAMS SOURCE DESTINATION [RENAME NAME])
function(uxl_install_configured kind source destination)
    uxl_configured_copy("${source}" copy)
    install(${kind} "${copy}" DESTINATION "${destination}" ${ARGN})
endfunction()

# rc.d scripts: runnable as they are (binaries are found in PATH, /usr/local and /usr/pkg).
install(PROGRAMS rc.d/xencommons DESTINATION "${uxl_rc_dir}")
uxl_install_configured(PROGRAMS rc.d/xendomains "${uxl_rc_dir}")
uxl_install_configured(PROGRAMS rc.d/uxl-domains "${UXL_RC_HELPER_DIR}")

# systemd units, with this install's paths.
foreach(unit uxld.service uxl-domains.service)
    uxl_install_configured(FILES rc.d/systemd/${unit} "${UXL_SYSTEMD_UNITDIR}")
endforeach()

# /etc/uxl: the global config, the hotplug scripts directory and the auto directory.
uxl_install_configured(FILES etc/uxl.conf "${UXL_CONF_DIR}")
uxl_install_configured(FILES etc/default/uxl-domains "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default")
install(PROGRAMS share/scripts/vif-bridge share/scripts/vif-route share/scripts/block
        DESTINATION "${UXL_SCRIPTS_DIR}")
install(DIRECTORY DESTINATION "${UXL_AUTO_DIR}")

# Example configs and the example guest builder.
install(PROGRAMS share/examples/build-guest.sh DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples")
install(DIRECTORY share/examples/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples"
    PATTERN build-guest.sh EXCLUDE)

# Man pages.
uxl_install_configured(FILES man/uxl.1 "${CMAKE_INSTALL_MANDIR}/man1")
uxl_install_configured(FILES man/uxl.cfg.5 "${CMAKE_INSTALL_MANDIR}/man5")
uxl_install_configured(FILES man/uxld.8 "${CMAKE_INSTALL_MANDIR}/man8")
uxl_install_configured(FILES man/xendomains.8 "${CMAKE_INSTALL_MANDIR}/man8")

# Bash completion.
uxl_install_configured(FILES completion/uxl.bash "${UXL_BASH_COMPLETION_DIR}" RENAME uxl)

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
