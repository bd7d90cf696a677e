// The guest agent client (see guest_agent.h for the channel and the protocol).
#include "qemu/guest_agent.h"

#include <nlohmann/json.hpp>

#include <memory>

namespace uxl::qemu {

namespace {

using Json = nlohmann::json;
using stream = asio::local::stream_protocol;

// An agent's line is short; the limit only stops a peer that never sends a newline.
constexpr std::size_t max_reply = 1 << 16;

std::string error_text(const Json& error)
{
    auto desc = error.find("desc");
    if (desc != error.end() && desc->is_string())
        return desc->get<std::string>();
    return error.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

bool guest_agent_port_open(const std::string& query_chardev_reply)
{
    Json reply = Json::parse(query_chardev_reply, nullptr, /*allow_exceptions=*/false);
    if (!reply.is_array())
        return false;
    for (const Json& chardev : reply) {
        if (!chardev.is_object())
            continue;
        auto label = chardev.find("label");
        auto open = chardev.find("frontend-open");
        if (label != chardev.end() && label->is_string() && *label == guest_agent_chardev &&
            open != chardev.end() && open->is_boolean())
            return open->get<bool>();
    }
    return false;
}

std::string guest_agent_sync_request(std::uint64_t id)
{
    Json arguments = Json::object();
    arguments["id"] = id;
    Json request = Json::object();
    request["execute"] = "guest-sync-delimited";
    request["arguments"] = arguments;
    return "\xff" + request.dump() + "\n";
}

std::string guest_agent_shutdown_request(std::string_view mode)
{
    Json arguments = Json::object();
    arguments["mode"] = std::string(mode);
    Json request = Json::object();
    request["execute"] = "guest-shutdown";
    request["arguments"] = arguments;
    return request.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

AgentReply read_agent_reply(std::string_view line, std::uint64_t id)
{
    AgentReply reply;
    Json message = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!message.is_object())
        return reply;
    if (auto ret = message.find("return"); ret != message.end())
        reply.synced = ret->is_number_unsigned() && ret->get<std::uint64_t>() == id;
    else if (auto error = message.find("error"); error != message.end())
        reply.error = error_text(*error);
    return reply;
}

namespace {

// One conversation on its own socket. A timer closes the socket when a wait is over; its
// handler may run after the wait has ended another way, so it acts only while `armed`.
struct Conversation : std::enable_shared_from_this<Conversation> {
    explicit Conversation(asio::any_io_executor executor) : socket(executor), timer(executor) {}

    stream::socket socket;
    asio::steady_timer timer;
    std::string inbox;
    std::shared_ptr<bool> armed = std::make_shared<bool>(false);
    std::shared_ptr<bool> expired = std::make_shared<bool>(false);

    void arm(std::chrono::milliseconds timeout)
    {
        *armed = true;
        *expired = false;
        timer.expires_after(timeout);
        timer.async_wait([self = shared_from_this(), armed = armed, expired = expired](const boost::system::error_code& ec) {
            if (ec || !*armed)
                return;
            *expired = true;
            boost::system::error_code ignored;
            self->socket.close(ignored);
        });
    }

    void disarm()
    {
        *armed = false;
        timer.cancel();
    }

    // The next line the agent sends, without its newline; an error at EOF or when the
    // timer closed the socket.
    awaitable<Result<std::string>> read_line()
    {
        boost::system::error_code ec;
        std::size_t size = co_await asio::async_read_until(socket, asio::dynamic_buffer(inbox, max_reply), '\n',
                                                           asio::redirect_error(asio::use_awaitable, ec));
        if (*expired)
            co_return fail(Errc::timeout, "no answer in time");
        if (ec)
            co_return fail(Errc::io, ec.message());
        std::string line = inbox.substr(0, size - 1);
        inbox.erase(0, size);
        co_return line;
    }
};

}  // namespace

awaitable<Result<void>> guest_agent_shutdown(asio::any_io_executor executor, AgentShutdown request)
{
    const std::string no_agent = "The guest has no guest agent answering on its " + std::string(guest_agent_port) +
                                 " port (qemu-ga)";
    auto talk = std::make_shared<Conversation>(executor);
    talk->arm(request.sync_timeout);
    boost::system::error_code ec;
    stream::endpoint endpoint(request.socket_path);
    co_await talk->socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        talk->disarm();
        co_return fail(Errc::unsupported, no_agent + ": cannot connect to " + request.socket_path + " (" + ec.message() + ").");
    }

    // 1. Sync: everything before the agent's 0xFF is stale; then the line that echoes our id.
    const std::string sync = guest_agent_sync_request(request.sync_id);
    co_await asio::async_write(talk->socket, asio::buffer(sync), asio::redirect_error(asio::use_awaitable, ec));
    bool delimited = false;
    while (!ec) {
        auto line = co_await talk->read_line();
        if (!line) {
            talk->disarm();
            co_return fail(Errc::unsupported, no_agent + " (" + line.error().message + ").");
        }
        std::string_view text = *line;
        if (auto marker = text.rfind('\xff'); marker != std::string_view::npos) {
            delimited = true;
            text.remove_prefix(marker + 1);
        }
        if (delimited && read_agent_reply(text, request.sync_id).synced)
            break;
    }
    talk->disarm();
    if (ec)
        co_return fail(Errc::unsupported, no_agent + " (" + ec.message() + ").");

    // 2. guest-shutdown: silence (or the guest going away) is success.
    const std::string shutdown = guest_agent_shutdown_request(request.mode);
    co_await asio::async_write(talk->socket, asio::buffer(shutdown), asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
        co_return fail(Errc::backend_failed, "The guest agent went away before it took the " + request.mode +
                                                 " request (" + ec.message() + ").");
    talk->arm(request.failure_wait);
    auto answer = co_await talk->read_line();
    talk->disarm();
    if (answer) {
        AgentReply reply = read_agent_reply(*answer, request.sync_id);
        if (!reply.error.empty())
            co_return fail(Errc::backend_failed, "The guest agent could not " + request.mode + " the guest: " +
                                                     reply.error);
    }
    co_return Result<void>{};
}

}  // namespace uxl::qemu
