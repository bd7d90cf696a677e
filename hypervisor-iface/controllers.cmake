# The async controllers (UML mconsole, the QEMU QMP client): the part of hypervisor-iface
# that uses Boost.Asio, header-only (Debian's libboost-dev 1.74). Included at the end of
# hypervisor-iface/CMakeLists.txt.
find_package(Boost 1.74 REQUIRED)

target_sources(hypervisor_iface PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/uml/mconsole.cc
    ${CMAKE_CURRENT_LIST_DIR}/uml/uml_controller.cc
    ${CMAKE_CURRENT_LIST_DIR}/qemu/qmp.cc
    ${CMAKE_CURRENT_LIST_DIR}/qemu/guest_agent.cc
    ${CMAKE_CURRENT_LIST_DIR}/qemu/qemu_controller.cc
    ${CMAKE_CURRENT_LIST_DIR}/qemu/qemu_guest_ops.cc)
target_link_libraries(hypervisor_iface PUBLIC Boost::headers)
# QMP is JSON; nlohmann stays in the .cc files (qmp.h passes JSON as text).
target_link_libraries(hypervisor_iface PRIVATE nlohmann_json::nlohmann_json)
# No deprecated Asio names, and coroutines visible to clang-tidy (STYLE.md, build hygiene).
target_compile_definitions(hypervisor_iface PUBLIC
    BOOST_ASIO_NO_DEPRECATED
    BOOST_ASIO_HAS_CO_AWAIT=1
    BOOST_ASIO_HAS_STD_COROUTINE=1)

# The controller unit tests include the backend's private headers (uml/mconsole.h), like
# the toolstack tests do with libtoolstack/src. backend_tests is made later, in tests/, so
# add the include directory once the whole project has been read.
function(uxl_controller_test_includes)
    if(TARGET backend_tests)
        target_include_directories(backend_tests PRIVATE ${PROJECT_SOURCE_DIR}/hypervisor-iface)
    endif()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL uxl_controller_test_includes)

# g++ 12 flags Asio 1.74's coroutine frame allocator (awaitable_frame_base::operator delete)
# with a false -Wmismatched-new-delete in every file that awaits; silence just that one.
target_compile_options(hypervisor_iface PUBLIC
    $<$<CXX_COMPILER_ID:GNU>:-Wno-mismatched-new-delete>)
