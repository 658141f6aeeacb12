#include "cli/command_context.h"

namespace gw::cli {
namespace {

void PrintErrorLine(absl::string_view message) {
  std::cerr << "error: " << std::string_view(message.data(), message.size()) << std::endl;
}

}  // namespace

AdminClient& CommandContext::client() {
  if (client_ == nullptr) {
    client_ = std::make_unique<AdminClient>(
        ConnectionOptions{.server = options_.server, .token = options_.token});
  }
  return *client_;
}

int CommandContext::Run() {
  if (!action_) return UsageError("no command given (see --help)");
  return action_();
}

int CommandContext::Refused(const absl::Status& status) const {
  PrintErrorLine(status.message());
  return kExitRefused;
}

int CommandContext::UsageError(absl::string_view message) const {
  PrintErrorLine(message);
  return kExitUsage;
}

}  // namespace gw::cli
