// Hot-plug and the device lists (DomainManager, domain_manager.h): block-attach,
// network-attach and their detaches on a running guest, block-list, network-list, pci-list.
//
// 1. attach: parse the spec words with the CLI's parsers, validate the whole domain plus
//    the device with the backend, reserve a free slot (DeviceState::attaching, persisted);
// 2. set up its host side with create's code (DeviceSetup), then ask the controller;
// 3. finish_attach: connected and put into the stored config, or everything undone.
// A detach asks the guest first; a guest that still uses the device keeps it.
#include "domain_manager.h"

#include "uxl/domain_name.h"

#include "uxl/disk_spec.h"
#include "uxl/pci_spec.h"
#include "uxl/vdev.h"
#include "uxl/vif_spec.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace uxl::daemon {
namespace {

DeviceClass device_class(protocol::DeviceKind kind)
{
    return kind == protocol::DeviceKind::nic ? DeviceClass::vif : DeviceClass::vbd;
}

DeviceEntry* find_entry(DomainRecord& record, DeviceClass kind, int devid)
{
    auto it = std::find_if(record.devices.begin(), record.devices.end(), [&](const DeviceEntry& e) {
        return e.kind == kind && e.devid == devid;
    });
    return it == record.devices.end() ? nullptr : &*it;
}

// xl reads a device number with atoi: the leading digits, 0 when there are none; a number
// too large for an int matches no device (where atoi's result would be undefined).
std::optional<int> leading_int(const std::string& text)
{
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::result_out_of_range)
        return std::nullopt;
    return value;
}

void erase_entry(DomainRecord& record, const std::string& key)
{
    std::erase_if(record.devices, [&](const DeviceEntry& e) { return e.key() == key; });
}

}  // namespace

Result<void> DomainManager::check_hotplug(const Domain& d, protocol::DeviceKind kind) const
{
    const std::string id = d.id();
    const Capabilities caps = d.backend->capabilities();
    if (kind == protocol::DeviceKind::pci)
        return fail(Errc::unsupported, "The " + std::string(d.backend->name()) +
                                           " backend has no PCI passthrough.");
    if (!(kind == protocol::DeviceKind::disk ? caps.hotplug_disk : caps.hotplug_nic) || !d.controller)
        return fail(Errc::unsupported, "The " + std::string(d.backend->name()) + " backend cannot hot-plug " +
                                           (kind == protocol::DeviceKind::disk ? "disks." : "network devices."));
    switch (d.state) {
    case DomainState::dying:
    case DomainState::gone:
        return fail(Errc::invalid_state, "Domain " + id + " is being destroyed.");
    case DomainState::shutdown:
        return fail(Errc::invalid_state, "Domain " + id + " has shut down.");
    case DomainState::starting:
        return fail(Errc::invalid_state, "Domain " + id + " is still being created.");
    case DomainState::running:
    case DomainState::paused:
        break;
    }
    if (d.control != ControlState::ready)
        return fail(Errc::invalid_state, "Domain " + id +
                                             " is still starting: devices can be attached once its kernel is up.");
    return {};
}

protocol::DeviceInfo DomainManager::device_info(const Domain& d, const DeviceEntry& entry) const
{
    protocol::DeviceInfo info;
    info.kind = entry.kind == DeviceClass::vif ? protocol::DeviceKind::nic : protocol::DeviceKind::disk;
    info.devid = entry.devid;
    info.frontend_domid = d.record.domid;
    info.state = static_cast<int>(entry.state);
    info.backend = entry.backend;
    info.guest_device = entry.guest_name;
    if (info.kind == protocol::DeviceKind::nic) {
        for (const VifSpec& nic : d.spec.nics)
            if (nic.devid == entry.devid)
                info.mac = nic.mac.to_string();
    } else {
        info.vdev = number_to_vdev(entry.devid);
        for (const DiskSpec& disk : d.spec.disks)
            if (disk.vdev && vdev_to_number(*disk.vdev) == entry.devid)
                info.vdev = *disk.vdev;
    }
    return info;
}

Result<std::vector<protocol::DeviceInfo>> DomainManager::devices(const std::string& domain,
                                                                 protocol::DeviceKind kind) const
{
    auto found = UXL_TRY(find_or_fail(domain));
    const Domain& d = *found;
    std::vector<protocol::DeviceInfo> out;
    if (kind == protocol::DeviceKind::pci) {
        for (const PciSpec& pci : d.spec.pcidevs) {
            protocol::DeviceInfo info;
            info.kind = kind;
            info.devid = static_cast<int>(pci.vdevfn);
            info.frontend_domid = d.record.domid;
            info.bdf = pci_spec_to_bdf(pci);
            out.push_back(std::move(info));
        }
        return out;
    }
    for (const DeviceEntry& entry : d.record.devices)
        if (entry.kind == device_class(kind))
            out.push_back(device_info(d, entry));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.devid < b.devid; });
    return out;
}

asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::attach_device(const protocol::DeviceAttachRequest& request,
                                                                          bool root_client)
{
    std::shared_ptr<Domain> d;
    UXL_CO_TRY_ASSIGN(d, find_or_fail(request.domain));
    UXL_CO_TRY(check_hotplug(*d, request.kind));
    if (!root_client) {
        // The same words attach_disk / attach_nic parse, for their script= alone.
        DomainSpec scripts;
        if (request.kind == protocol::DeviceKind::disk) {
            if (auto disk = parse_disk_spec(request.spec, "command line"))
                scripts.disks.push_back(*disk);
        } else if (auto nic = parse_network_attach_tokens(request.spec, nullptr)) {
            scripts.nics.push_back(*nic);
        }
        UXL_CO_TRY(check_client_scripts(scripts));
    }
    if (request.kind == protocol::DeviceKind::disk)
        co_return co_await attach_disk(d, request.spec);
    co_return co_await attach_nic(d, request.spec);
}

asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::attach_disk(std::shared_ptr<Domain> d,
                                                                        std::vector<std::string> words)
{
    const std::string id = d->id();
    auto disk = parse_disk_spec(words, "command line");
    if (!disk)
        co_return fail(Errc::invalid_argument, disk.error().message);
    if (!disk->vdev || !vdev_to_number(*disk->vdev))
        co_return fail(Errc::invalid_argument, "The disk has no virtual device name (vdev=xvdb, ...).");
    const std::string vdev = *disk->vdev;
    const int devid = *vdev_to_number(vdev);
    if (find_entry(d->record, DeviceClass::vbd, devid))
        co_return fail(Errc::already_exists, "Domain " + id + " already has a disk " + vdev + ".");
    DomainSpec candidate = d->spec;
    candidate.disks.push_back(*disk);
    UXL_CO_TRY(d->backend->validate(candidate));

    // The lowest free slot, reserved at once: another attach may run while this one waits.
    int slot = 0;
    const auto& reserved = d->record.reserved_disk_slots;
    while (std::find(reserved.begin(), reserved.end(), slot) != reserved.end() ||
           std::any_of(d->record.devices.begin(), d->record.devices.end(),
                       [&](const DeviceEntry& e) { return e.kind == DeviceClass::vbd && e.slot == slot; }))
        ++slot;
    const std::string key = "vbd/" + std::to_string(devid);
    d->record.devices.push_back(
        DeviceEntry{DeviceClass::vbd, devid, slot, disk->pdev_path.value_or(""), DeviceState::attaching, {}});
    persist(*d);

    DiskSpec launch = *disk;
    auto ready = co_await m_devices.set_up_disk(d->record, launch);
    Result<std::string> attached = std::unexpected(Error{Errc::invalid_state, "Domain " + id + " went away.", {}});
    if (ready && d->active() && d->controller) {
        DiskSpec opened = launch;  // named: no temporaries in co_await
        attached = co_await d->controller->attach_disk(slot, std::move(opened));
    } else if (!ready) {
        attached = std::unexpected(ready.error());
    }
    std::string what = "disk " + vdev, host = launch.pdev_path.value_or("");  // named
    std::function<void(DomainSpec&)> add = [&disk](DomainSpec& spec) { spec.disks.push_back(*disk); };
    co_return co_await finish_attach(d, key, std::move(what), std::move(host), std::move(add), std::move(attached));
}

asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::attach_nic(std::shared_ptr<Domain> d,
                                                                       std::vector<std::string> words)
{
    const std::string id = d->id();
    std::vector<std::string> warnings;
    auto nic = parse_network_attach_tokens(words, &warnings);
    if (!nic)
        co_return fail(Errc::invalid_argument, nic.error().message);
    for (const auto& w : warnings)
        log_domain(*d, ": network-attach: " + w);
    if (nic->devid < 0) {
        // As libxl: one more than the highest devid in use.
        int highest = -1;
        for (const DeviceEntry& e : d->record.devices)
            if (e.kind == DeviceClass::vif)
                highest = std::max(highest, e.devid);
        for (const VifSpec& other : d->spec.nics)
            highest = std::max(highest, other.devid);
        if (highest == std::numeric_limits<int>::max())
            co_return fail(Errc::invalid_argument, "Domain " + id + " has no free vif devid left.");
        nic->devid = highest + 1;
    }
    if (find_entry(d->record, DeviceClass::vif, nic->devid))
        co_return fail(Errc::already_exists, "Domain " + id + " already has a vif " + std::to_string(nic->devid) + ".");
    if (nic->mac.is_zero())
        nic->mac = generate_xen_mac();
    DomainSpec candidate = d->spec;
    candidate.nics.push_back(*nic);
    UXL_CO_TRY(d->backend->validate(candidate));

    const std::string key = "vif/" + std::to_string(nic->devid);
    d->record.devices.push_back(DeviceEntry{DeviceClass::vif, nic->devid, nic->devid, {}, DeviceState::attaching, {}});
    persist(*d);

    VifSpec launch = *nic;
    auto ready = co_await m_devices.set_up_nic(d->record, launch);
    Result<std::string> attached = std::unexpected(Error{Errc::invalid_state, "Domain " + id + " went away.", {}});
    if (ready && d->active() && d->controller) {
        VifSpec plugged = launch;  // named: no temporaries in co_await
        attached = co_await d->controller->attach_nic(nic->devid, std::move(plugged));
    } else if (!ready) {
        attached = std::unexpected(ready.error());
    }
    std::string what = "vif " + std::to_string(nic->devid), host = launch.ifname.value_or("");  // named
    std::function<void(DomainSpec&)> add = [&nic](DomainSpec& spec) { spec.nics.push_back(*nic); };
    co_return co_await finish_attach(d, key, std::move(what), std::move(host), std::move(add), std::move(attached));
}

// The end of every attach. When the guest refused, a step failed or the domain went away
// meanwhile, the device's host side is torn down and its reservation dropped. Otherwise
// it is connected: its host side and guest name recorded, and `add_to_spec` puts it in
// the stored config, as libxl does.
asio::awaitable<Result<protocol::DeviceInfo>> DomainManager::finish_attach(std::shared_ptr<Domain> d, std::string key,
                                                                          std::string what, std::string host,
                                                                          std::function<void(DomainSpec&)> add_to_spec,
                                                                          Result<std::string> attached)
{
    const std::string id = d->id();
    const bool gone = d->state == DomainState::gone;
    if (!attached || gone) {
        co_await m_devices.tear_down(d->record, key);
        erase_entry(d->record, key);
        if (gone)
            (void)m_store.remove(d->record.instance);
        else
            persist(*d);
        co_return fail(attached ? Errc::invalid_state : attached.error().code,
                       "Cannot attach " + what + " to domain " + id + ": " +
                           (attached ? "the domain went away" : attached.error().message));
    }
    auto it = std::find_if(d->record.devices.begin(), d->record.devices.end(),
                           [&](const DeviceEntry& e) { return e.key() == key; });
    it->state = DeviceState::connected;
    it->backend = std::move(host);
    it->guest_name = *attached;
    add_to_spec(d->spec);
    d->record.devices_changed = true;
    persist_spec(*d);
    log_domain(*d, ": " + what + " attached as " + *attached + " (" + it->backend + ")");
    co_return device_info(*d, *it);
}

asio::awaitable<Result<void>> DomainManager::detach_device(const protocol::DeviceDetachRequest& request)
{
    std::shared_ptr<Domain> d;
    UXL_CO_TRY_ASSIGN(d, find_or_fail(request.domain));
    UXL_CO_TRY(check_hotplug(*d, request.kind));
    const std::string id = d->id();
    const bool is_disk = request.kind == protocol::DeviceKind::disk;
    const DeviceClass kind = device_class(request.kind);

    // xl: a disk by vdev name or number; a nic by MAC (it has a ':') or by devid (atoi).
    std::optional<int> devid;
    if (is_disk) {
        devid = is_domid_text(request.device) ? leading_int(request.device) : vdev_to_number(request.device);
    } else if (request.device.find(':') != std::string::npos) {
        auto mac = parse_mac(request.device);
        for (const VifSpec& nic : d->spec.nics)
            if (mac && nic.mac == *mac)
                devid = nic.devid;
    } else {
        devid = leading_int(request.device);
    }
    DeviceEntry* entry = devid ? find_entry(d->record, kind, *devid) : nullptr;
    if (!entry)
        co_return fail(Errc::not_found, (is_disk ? "Error: Device " + request.device + " not connected."
                                                 : "Unknown device " + request.device + "."));
    if (entry->state != DeviceState::connected)
        co_return fail(Errc::invalid_state, "Device " + request.device + " of domain " + id +
                                                " is being attached or detached.");
    const std::string key = entry->key();
    const std::string guest_name = entry->guest_name;
    const int slot = entry->slot;
    const bool empty_drive = is_disk && entry->backend.empty();  // nothing in the guest
    entry->state = DeviceState::detaching;
    Result<void> detached;  // not a conditional of two co_awaits
    if (empty_drive)
        detached = {};
    else if (is_disk)
        detached = co_await d->controller->detach_disk(slot);
    else
        detached = co_await d->controller->detach_nic(slot);
    if (d->state == DomainState::gone)
        co_return fail(Errc::invalid_state, "Domain " + id + " went away.");
    if (!detached) {
        if (DeviceEntry* again = find_entry(d->record, kind, *devid))
            again->state = DeviceState::connected;
        // The guest refused because it uses the device (UML): say how to stop it using it. A
        // guest that did not answer in time, or could not (QEMU: it did not let go, or it is
        // paused), is told about by the backend's own words.
        std::string advice;
        if (detached.error().code == Errc::backend_failed) {
            advice = is_disk ? "; unmount or close it inside the guest first"
                             : "; bring " + guest_name + " down inside the guest first";
            if (is_disk && request.force)
                advice += "; the " + std::string(d->backend->name()) +
                          " backend cannot take a disk from a guest that has it open, even with -f";
        }
        std::string reason = detached.error().message;
        if (reason.ends_with('.'))
            reason.pop_back();  // one sentence, one full stop
        co_return fail(detached.error().code, "Domain " + id + " still uses " + request.device +
                                                  (guest_name.empty() ? "" : " (" + guest_name + ")") +
                                                  ": " + reason + advice + ".");
    }
    co_await m_devices.tear_down(d->record, key);
    erase_entry(d->record, key);
    if (is_disk)
        std::erase_if(d->spec.disks, [&](const DiskSpec& disk) { return disk.vdev && vdev_to_number(*disk.vdev) == devid; });
    else
        std::erase_if(d->spec.nics, [&](const VifSpec& nic) { return nic.devid == *devid; });
    d->record.devices_changed = true;
    persist_spec(*d);
    log_domain(*d, ": " + key + " (" + guest_name + ") detached");
    co_return Result<void>{};
}

}  // namespace uxl::daemon
