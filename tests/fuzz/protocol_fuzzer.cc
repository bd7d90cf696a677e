// libFuzzer target for the control protocol: any byte string as what a client sends on the
// control socket, through everything uxld does with a request before it touches a domain.
//
// The input is the client's byte stream. As a control session does (control_server.cc):
//   1. the stream is cut at '\n' (an unterminated tail is taken as a last line here, so
//      that seeds need no newline); empty lines are skipped;
//   2. each line is decoded; a refused one is answered with a protocol error carrying
//      peek_request_id()'s id;
//   3. a decoded request gets the checks uxld makes before it looks a domain up: create
//      reads its libxl JSON and checks the name, rename checks the new name, attach parses
//      the spec words with the CLI's parsers, detach tells a devid from a MAC;
//   4. the reply is encoded as one line.
// The same bytes are also read as a reply, as the CLI reads uxld's answers.
// Properties: a decoded request re-encodes to a line that decodes to the same request; a
// refused line is a protocol error, and peek_request_id() agrees with decode_request()
// on the id of a line it accepts; the reply is one line that the client decodes back with
// the same id and error; a spec that create reads survives the libxl JSON round trip.
#include "fuzz_support.h"

#include "uxl/disk_spec.h"
#include "uxl/domain_name.h"
#include "uxl/domain_spec.h"
#include "uxl/mac_address.h"
#include "uxl/protocol.h"
#include "uxl/vdev.h"
#include "uxl/vif_spec.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace uxl;
using namespace uxl::protocol;

void check_one_line(const std::string& line, std::string_view what)
{
    fuzz::check(!line.empty() && line.back() == '\n' && line.find('\n') == line.size() - 1, what, line);
}

// 3. What uxld checks before it looks a domain up; the error it would answer with.
Result<void> checks_before_a_domain(const Request& request)
{
    if (auto* create = std::get_if<CreateRequest>(&request)) {
        auto spec = domain_spec_from_libxl_json(create->config_json);
        if (!spec)
            return fail(Errc::invalid_argument, "the domain config is not valid: " + spec.error().message);
        fuzz::check_libxl_round_trip(*spec);
        return check_domain_name(spec->name);
    }
    if (auto* rename = std::get_if<RenameRequest>(&request))
        return check_domain_name(rename->new_name);
    if (auto* attach = std::get_if<DeviceAttachRequest>(&request)) {
        if (attach->kind == DeviceKind::disk) {
            auto disk = parse_disk_spec(attach->spec, "command line");
            if (!disk)
                return std::unexpected(disk.error());
            if (!disk->vdev || !vdev_to_number(*disk->vdev))
                return fail(Errc::invalid_argument, "The disk has no virtual device name (vdev=xvdb, ...).");
            return {};
        }
        if (attach->kind == DeviceKind::nic) {
            std::vector<std::string> warnings;
            auto nic = parse_network_attach_tokens(attach->spec, &warnings);
            if (!nic)
                return std::unexpected(nic.error());
        }
        return {};
    }
    if (auto* detach = std::get_if<DeviceDetachRequest>(&request)) {
        if (detach->kind == DeviceKind::disk)
            (void)vdev_to_number(detach->device);
        else if (!is_domid_text(detach->device))
            (void)parse_mac(detach->device);
    }
    return {};
}

// The other direction: the same bytes as a reply line the CLI reads. What it accepts
// re-encodes stably (the first encoding may normalise, e.g. an unknown shutdown reason).
void read_as_reply(std::string_view line)
{
    auto reply = decode_reply(line);
    if (!reply)
        return;
    const std::string once = encode_reply(*reply);
    check_one_line(once, "an encoded reply is one line");
    auto again = decode_reply(std::string_view(once).substr(0, once.size() - 1));
    fuzz::check(again.has_value(), "a re-encoded reply decodes", once);
    fuzz::check(encode_reply(*again) == once, "a reply survives decode -> encode -> decode", once);
}

void handle_line(std::string_view line)
{
    read_as_reply(line);

    Reply reply;
    auto decoded = decode_request(line);
    if (!decoded) {
        fuzz::check(decoded.error().code == Errc::protocol, "a refused request is a protocol error",
                    decoded.error().message);
        reply.id = peek_request_id(line);
        reply.error = decoded.error();
    } else {
        fuzz::check(peek_request_id(line) == decoded->id, "peek_request_id agrees with decode_request",
                    std::string(line));
        const std::string again = encode_request(decoded->id, decoded->request);
        check_one_line(again, "an encoded request is one line");
        auto redecoded = decode_request(std::string_view(again).substr(0, again.size() - 1));
        fuzz::check(redecoded.has_value(), "a re-encoded request decodes", again);
        fuzz::check(encode_request(redecoded->id, redecoded->request) == again,
                    "a request survives decode -> encode -> decode", again);
        reply.id = decoded->id;
        if (auto checked = checks_before_a_domain(decoded->request); !checked)
            reply.error = checked.error();
    }

    // 4. The reply, and the client's reading of it.
    const std::string out = encode_reply(reply);
    check_one_line(out, "a reply is one line");
    auto read = decode_reply(std::string_view(out).substr(0, out.size() - 1));
    fuzz::check(read.has_value(), "the client reads the reply", out);
    fuzz::check(read->id == reply.id, "the reply answers the request's id", out);
    fuzz::check(read->error.has_value() == reply.error.has_value(), "the reply says whether it failed", out);
    if (reply.error) {
        fuzz::check(read->error->code == reply.error->code, "the reply keeps the error code", out);
        fuzz::check(read->error->message == reply.error->message, "the reply keeps the error message", out);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view stream(reinterpret_cast<const char*>(data), size);
    while (!stream.empty()) {
        const std::size_t end = stream.find('\n');
        const std::string_view line = stream.substr(0, end);
        if (!line.empty())
            handle_line(line);
        if (end == std::string_view::npos)
            break;
        stream.remove_prefix(end + 1);
    }
    return 0;
}
