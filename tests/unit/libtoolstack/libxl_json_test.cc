// domain_spec_to_libxl_yajl() against what `xl create -n` prints (libxl_domain_config_to_json
// of the config parse_config_data built), and domain_spec_from_libxl_json() back.
#include "uxl/domain_spec.h"

#include <gtest/gtest.h>

namespace uxl {
namespace {

constexpr std::string_view k_uuid = "5a1c9e3c-7a52-4d51-9c2b-1f0e2d3c4b5a";

DomainSpec build(std::string_view text)
{
    ParseOutcome parsed = parse_config(text, "test.cfg");
    EXPECT_TRUE(parsed.ok()) << parsed.diagnostics.xl_report();
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);
    BuildOptions options;
    options.config_path = "test.cfg";
    options.host_cpus = 4;
    auto spec = build_domain_spec(reader, options);
    EXPECT_TRUE(spec.has_value()) << (spec ? "" : spec.error().message);
    if (!spec)
        return {};
    spec->uuid = *parse_uuid(k_uuid);  // generated ones differ run to run
    return *spec;
}

std::string json_of(std::string_view text)
{
    return domain_spec_to_libxl_yajl(build(text));
}

TEST(LibxlJson, MinimalConfigIsWhatXlCreateDryRunPrints)
{
    EXPECT_EQ(json_of("name=\"x\"; kernel=\"/k\"; memory=64\n"),
              R"({
    "c_info": {
        "type": "pv",
        "name": "x",
        "uuid": "5a1c9e3c-7a52-4d51-9c2b-1f0e2d3c4b5a",
        "run_hotplug_scripts": "True"
    },
    "b_info": {
        "max_memkb": 65536,
        "target_memkb": 65536,
        "sched_params": {

        },
        "claim_mode": "True",
        "kernel": "/k",
        "type.pv": {

        },
        "arch_arm": {

        },
        "arch_x86": {

        }
    },
    "on_reboot": "restart",
    "on_soft_reset": "soft_reset"
}
)");
}

TEST(LibxlJson, GeneratedUuidIsWritten)
{
    ParseOutcome parsed = parse_config("name=\"x\"\nkernel=\"/k\"\n", "test.cfg");
    Diagnostics diagnostics;
    ConfigReader reader(parsed.config, diagnostics);
    auto spec = build_domain_spec(reader, BuildOptions{"test.cfg"});
    ASSERT_TRUE(spec.has_value());
    EXPECT_NE(domain_spec_to_libxl_yajl(*spec).find("\"uuid\": \"" + uuid_to_string(spec->uuid) + "\""),
              std::string::npos);
}

TEST(LibxlJson, VcpusWriteMaxVcpusAndTheAvailBitmap)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\nvcpus=2\nmaxvcpus=3\n");
    EXPECT_NE(json.find("    \"b_info\": {\n"
                        "        \"max_vcpus\": 3,\n"
                        "        \"avail_vcpus\": [\n"
                        "            0,\n"
                        "            1\n"
                        "        ],\n"
                        "        \"sched_params\""),
              std::string::npos)
        << json;
}

TEST(LibxlJson, AffinityIsWrittenPerVcpuWithNumaPlacement)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\nvcpus=2\ncpus=[\"1\",\"2-3\"]\n");
    EXPECT_NE(json.find("        \"vcpu_hard_affinity\": [\n"
                        "            [\n"
                        "                1\n"
                        "            ],\n"
                        "            [\n"
                        "                2,\n"
                        "                3\n"
                        "            ]\n"
                        "        ],\n"
                        "        \"numa_placement\": \"False\",\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, SchedParamsKeepIntegersThatDifferFromMinusOne)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\ncpu_weight=\"-1\"\ncap=0\n");
    EXPECT_NE(json.find("        \"sched_params\": {\n"
                        "            \"cap\": 0\n"
                        "        },\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, ActionsAreWrittenWithLibxlNamesWhenNotDestroy)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\non_poweroff=\"rename-restart\"\n"
                              "on_reboot=\"destroy\"\non_crash=\"coredump-destroy\"\n");
    EXPECT_NE(json.find("    },\n"
                        "    \"on_poweroff\": \"restart_rename\",\n"
                        "    \"on_crash\": \"coredump_destroy\",\n"
                        "    \"on_soft_reset\": \"soft_reset\"\n"
                        "}\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, CommandLineRamdiskAndBootloaderSitAtBuildInfoTopLevel)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\nramdisk=\"/r\"\nextra=\"quiet\"\n"
                              "bootloader=\"pygrub\"\nbootloader_args=[\"-q\"]\n");
    EXPECT_NE(json.find("        \"kernel\": \"/k\",\n"
                        "        \"cmdline\": \"quiet\",\n"
                        "        \"ramdisk\": \"/r\",\n"
                        "        \"bootloader\": \"pygrub\",\n"
                        "        \"bootloader_args\": [\n"
                        "            \"-q\"\n"
                        "        ],\n"
                        "        \"type.pv\": {\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, PoolNameIsWrittenInCreateInfo)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\npool=\"fast\"\n");
    EXPECT_NE(json.find("        \"pool_name\": \"fast\",\n        \"run_hotplug_scripts\""),
              std::string::npos)
        << json;
}

TEST(LibxlJson, HvmWritesItsUnionWithFiveEmptyStructs)
{
    const auto json = json_of("name=\"x\"\ntype=\"hvm\"\n");
    EXPECT_NE(json.find("        \"type.hvm\": {\n"
                        "            \"vga\": {\n\n            },\n"
                        "            \"vnc\": {\n\n            },\n"
                        "            \"sdl\": {\n\n            },\n"
                        "            \"spice\": {\n\n            },\n"
                        "            \"rdm\": {\n\n            }\n"
                        "        },\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, PciOnAPvGuestSetsE820Host)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\npci=[\"03:00.1\"]\n");
    EXPECT_NE(json.find("        \"type.pv\": {\n"
                        "            \"e820_host\": \"True\"\n"
                        "        },\n"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("    \"pcidevs\": [\n"
                        "        {\n"
                        "            \"func\": 1,\n"
                        "            \"bus\": 3,\n"
                        "            \"vfunc_mask\": 1,\n"
                        "            \"rdm_policy\": \"strict\"\n"
                        "        }\n"
                        "    ],\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, DevicesFollowBuildInfoInIdlOrder)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\npci=[\"03:00.0\"]\nvif=[\"bridge=br0\"]\n"
                              "disk=[\"/img,raw,xvda,w\"]\n");
    const auto b_info = json.find("\"b_info\"");
    const auto disks = json.find("\"disks\"");
    const auto nics = json.find("\"nics\"");
    const auto pcidevs = json.find("\"pcidevs\"");
    const auto on_reboot = json.find("\"on_reboot\"");
    EXPECT_LT(b_info, disks);
    EXPECT_LT(disks, nics);
    EXPECT_LT(nics, pcidevs);
    EXPECT_LT(pcidevs, on_reboot);
    EXPECT_NE(json.find("    \"nics\": [\n"
                        "        {\n"
                        "            \"devid\": 0,\n"
                        "            \"bridge\": \"br0\"\n"
                        "        }\n"
                        "    ],\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, DefaultBackendAddsNothing)
{
    EXPECT_EQ(json_of("name=\"x\"\nkernel=\"/k\"\n").find("\"uxl\""), std::string::npos);
}

TEST(LibxlJson, OtherBackendAddsOneUxlObjectAtTheEnd)
{
    const auto json = json_of("name=\"x\"\nkernel=\"/k\"\nbackend=\"qemu\"\n");
    EXPECT_TRUE(json.ends_with("    \"on_soft_reset\": \"soft_reset\",\n"
                               "    \"uxl\": {\n"
                               "        \"backend\": \"qemu\"\n"
                               "    }\n"
                               "}\n"))
        << json;
}

// ---- reading it back --------------------------------------------------------------------

constexpr std::string_view k_full =
    "name = \"full\"\nkernel = \"/boot/vmlinux\"\nramdisk = \"/boot/initrd\"\n"
    "root = \"/dev/ubda\"\nextra = \"ro\"\nmemory = 128\nmaxmem = 256\nvcpus = 2\n"
    "maxvcpus = 4\ncpus = \"0-1\"\ncpus_soft = [ \"2\", \"3\" ]\ncpu_weight = 512\ncap = 20\n"
    "pool = \"p\"\non_poweroff = \"preserve\"\non_crash = \"rename-restart\"\n"
    "disk = [ '/srv/a.img,qcow2,xvda,w', 'format=raw, vdev=hdc, access=ro, devtype=cdrom, target=/i.iso' ]\n"
    "vif = [ 'mac=00:16:3e:01:02:03, bridge=br0, rate=10Mb/s', 'type=ioemu, model=e1000' ]\n"
    "pci = [ '0000:03:00.1,permissive=1' ]\nbackend = \"vkernel\"\n";

TEST(LibxlJson, HvmSettingsSitWhereLibxlHasThem)
{
    const auto json = json_of("name=\"x\"\ntype=\"hvm\"\nacpi=0\nboot=\"dc\"\nserial=\"pty\"\nnographic=0\n"
                              "vnc=1\nvnclisten=\"127.0.0.1\"\nvncdisplay=2\nvncunused=0\n");
    EXPECT_NE(json.find("        \"acpi\": \"False\",\n"), std::string::npos) << json;
    EXPECT_NE(json.find("        \"type.hvm\": {\n"
                        "            \"nographic\": \"False\",\n"
                        "            \"vga\": {\n\n            },\n"
                        "            \"vnc\": {\n"
                        "                \"enable\": \"True\",\n"
                        "                \"listen\": \"127.0.0.1\",\n"
                        "                \"display\": 2,\n"
                        "                \"findunused\": \"False\"\n"
                        "            },\n"
                        "            \"sdl\": {\n\n            },\n"
                        "            \"spice\": {\n\n            },\n"
                        "            \"serial\": \"pty\",\n"
                        "            \"boot\": \"dc\",\n"
                        "            \"rdm\": {\n\n            }\n"
                        "        },\n"),
              std::string::npos)
        << json;
}

TEST(LibxlJson, HvmSettingsComeBackFromTheJson)
{
    // Through the control protocol and the state file, so uxld plans what the config said.
    for (const char* text : {"name=\"x\"\ntype=\"hvm\"\nacpi=1\nboot=\"n\"\nserial=[\"pty\", \"null\"]\n"
                             "nographic=1\nvnc=1\nvncdisplay=0\n",
                             "name=\"x\"\ntype=\"hvm\"\nvnc=0\nvncpasswd=\"p\"\nvncunused=1\n",
                             "name=\"x\"\nkernel=\"/k\"\nacpi=0\n"}) {
        const DomainSpec spec = build(text);
        auto back = domain_spec_from_libxl_json(domain_spec_to_libxl_yajl(spec));
        ASSERT_TRUE(back.has_value()) << back.error().message;
        EXPECT_EQ(back->hvm.acpi, spec.hvm.acpi) << text;
        EXPECT_EQ(back->hvm.boot, spec.hvm.boot) << text;
        EXPECT_EQ(back->hvm.serial, spec.hvm.serial) << text;
        EXPECT_EQ(back->hvm.nographic, spec.hvm.nographic) << text;
        EXPECT_EQ(back->hvm.vnc.enable, spec.hvm.vnc.enable) << text;
        EXPECT_EQ(back->hvm.vnc.passwd, spec.hvm.vnc.passwd) << text;
        EXPECT_EQ(back->hvm.vnc.display.value_or(0), spec.hvm.vnc.display.value_or(0)) << text;
        EXPECT_EQ(back->hvm.vnc.find_unused, spec.hvm.vnc.find_unused) << text;
    }
}

TEST(LibxlJson, LocaltimeUsbAndDeviceModelArgsTravelToo)
{
    const DomainSpec spec = build("name=\"x\"\ntype=\"hvm\"\nlocaltime=1\nusb=1\nusbdevice=[\"tablet\", \"mouse\"]\n"
                                  "device_model_args=[\"-a\", \"b c\"]\ndevice_model_args_hvm=[\"-h\"]\n"
                                  "device_model_args_pv=[\"-p\"]\n");
    const std::string json = domain_spec_to_libxl_yajl(spec);
    EXPECT_NE(json.find("        \"localtime\": \"True\",\n"), std::string::npos) << json;
    EXPECT_NE(json.find("        \"extra\": [\n            \"-a\",\n            \"b c\"\n        ],\n"), std::string::npos)
        << json;
    EXPECT_NE(json.find("            \"usb\": \"True\",\n"), std::string::npos) << json;
    EXPECT_NE(json.find("            \"usbdevice_list\": [\n"), std::string::npos) << json;
    auto back = domain_spec_from_libxl_json(json);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->localtime, true);
    EXPECT_EQ(back->hvm.usb, true);
    EXPECT_EQ(back->hvm.usbdevice, (std::vector<std::string>{"tablet", "mouse"}));
    EXPECT_EQ(back->device_model_args, (std::vector<std::string>{"-a", "b c"}));
    EXPECT_EQ(back->device_model_args_hvm, std::vector<std::string>{"-h"});
    EXPECT_EQ(back->device_model_args_pv, std::vector<std::string>{"-p"});
    EXPECT_EQ(domain_spec_to_libxl_yajl(*back), json);
}

TEST(LibxlJson, MachineKeysSitWhereLibxlHasThem)
{
    const auto json = json_of("name=\"x\"\ntype=\"hvm\"\nvideoram=32\nrtc_timeoffset=\"-1\"\napic=0\nbios=\"ovmf\"\n"
                              "pae=0\nhpet=0\nvga=\"stdvga\"\nsdl=0\nsoundhw=\"ac97\"\n");
    EXPECT_NE(json.find("        \"video_memkb\": 32768,\n        \"rtc_timeoffset\": 4294967295,\n"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("        \"apic\": \"False\",\n        \"type.hvm\": {\n"
                        "            \"bios\": \"ovmf\",\n            \"pae\": \"False\",\n"
                        "            \"hpet\": \"False\",\n"
                        "            \"vga\": {\n                \"kind\": \"std\"\n            },\n"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("            \"sdl\": {\n                \"enable\": \"False\"\n            },\n"),
              std::string::npos)
        << json;
    EXPECT_NE(json.find("            \"soundhw\": \"ac97\",\n"), std::string::npos) << json;
}

TEST(LibxlJson, MachineKeysComeBackFromTheJson)
{
    const DomainSpec spec = build("name=\"x\"\ntype=\"hvm\"\nvideoram=16\nrtc_timeoffset=\"-3600\"\napic=0\n"
                                  "bios=\"ovmf\"\npae=0\nnx=1\nacpi_s3=0\nacpi_s4=0\nhpet=0\nstdvga=1\nsdl=1\n"
                                  "soundhw=\"hda,sb16\"\nwatchdog=\"i6300esb\"\n");
    const std::string json = domain_spec_to_libxl_yajl(spec);
    auto back = domain_spec_from_libxl_json(json);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->hvm, spec.hvm);
    EXPECT_EQ(back->rtc_timeoffset, -3600);
    EXPECT_EQ(back->watchdog, "i6300esb");
    EXPECT_EQ(back->backend, BackendKind::qemu);
    EXPECT_EQ(domain_spec_to_libxl_yajl(*back), json);
}

TEST(LibxlJson, RoundTripGivesTheSameJson)
{
    const auto json = domain_spec_to_libxl_yajl(build(k_full));
    auto back = domain_spec_from_libxl_json(json);
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(domain_spec_to_libxl_yajl(*back), json);
}

TEST(LibxlJson, RoundTripKeepsTheSpecsFields)
{
    const DomainSpec spec = build(k_full);
    auto back = domain_spec_from_libxl_json(domain_spec_to_libxl_yajl(spec));
    ASSERT_TRUE(back.has_value()) << back.error().message;
    EXPECT_EQ(back->name, spec.name);
    EXPECT_EQ(back->uuid, spec.uuid);
    EXPECT_EQ(back->vcpus, 2);
    EXPECT_EQ(back->max_vcpus, 4);
    EXPECT_EQ(back->vcpu_hard_affinity, spec.vcpu_hard_affinity);
    EXPECT_EQ(back->vcpu_soft_affinity, spec.vcpu_soft_affinity);
    EXPECT_EQ(back->numa_placement, false);
    EXPECT_EQ(back->target_memkb, 128u * 1024);
    EXPECT_EQ(back->max_memkb, 256u * 1024);
    EXPECT_EQ(back->cpu_weight, 512);
    EXPECT_EQ(back->cap, 20);
    EXPECT_EQ(back->cmdline, "root=/dev/ubda ro");
    EXPECT_EQ(back->on_poweroff, ShutdownAction::preserve);
    EXPECT_EQ(back->on_reboot, ShutdownAction::restart);
    EXPECT_EQ(back->on_crash, ShutdownAction::rename_restart);
    EXPECT_EQ(back->nics, spec.nics);
    EXPECT_EQ(back->pcidevs, spec.pcidevs);
    ASSERT_EQ(back->disks.size(), 2u);
    EXPECT_EQ(back->disks[1].is_cdrom, spec.disks[1].is_cdrom);
    EXPECT_EQ(back->disks[1].pdev_path, spec.disks[1].pdev_path);
    EXPECT_EQ(back->backend, BackendKind::vkernel);
}

TEST(LibxlJson, ReadsTheListLongWrapper)
{
    auto spec = domain_spec_from_libxl_json(
        R"({"domid": 3, "config": {"c_info": {"type": "pv", "name": "w"}, "b_info": {}}})");
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    EXPECT_EQ(spec->name, "w");
}

TEST(LibxlJson, AbsentActionsAreLibxlsDestroy)
{
    auto spec = domain_spec_from_libxl_json(R"({"c_info": {"name": "w"}})");
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    EXPECT_EQ(spec->on_reboot, ShutdownAction::destroy);
    EXPECT_EQ(spec->on_soft_reset, ShutdownAction::destroy);
}

TEST(LibxlJson, ReadsOlderLibxlsPvKernel)
{
    auto spec = domain_spec_from_libxl_json(
        R"({"c_info": {"name": "w"}, "b_info": {"type.pv": {"kernel": "/old", "cmdline": "ro"}}})");
    ASSERT_TRUE(spec.has_value()) << spec.error().message;
    EXPECT_EQ(spec->kernel, "/old");
    EXPECT_EQ(spec->cmdline, "ro");
}

TEST(LibxlJson, FieldOfTheWrongTypeIsAnErrorNamingIt)
{
    auto spec = domain_spec_from_libxl_json(R"({"c_info": {"name": "w"}, "b_info": {"max_vcpus": "2"}})");
    ASSERT_FALSE(spec.has_value());
    EXPECT_EQ(spec.error().message, "libxl JSON: `b_info.max_vcpus' must be an integer");
}

TEST(LibxlJson, UnknownEnumValueIsAnError)
{
    auto spec = domain_spec_from_libxl_json(R"({"c_info": {"name": "w"}, "on_crash": "explode"})");
    ASSERT_FALSE(spec.has_value());
    EXPECT_EQ(spec.error().message, "libxl JSON: `on_crash' has an unknown value \"explode\"");
}

TEST(LibxlJson, MalformedJsonIsAnError)
{
    auto spec = domain_spec_from_libxl_json("{\"c_info\": ");
    ASSERT_FALSE(spec.has_value());
    EXPECT_EQ(spec.error().message, "libxl JSON: not valid JSON");
}

}  // namespace
}  // namespace uxl
