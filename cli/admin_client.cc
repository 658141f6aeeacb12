#include "cli/admin_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace gw::cli {
namespace {

// Large enough for the export of a big configuration.
constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

}  // namespace

AdminClient::AdminClient(ConnectionOptions options) : options_(std::move(options)) {
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(kMaxMessageBytes);
  arguments.SetMaxSendMessageSize(kMaxMessageBytes);
  stub_ = gateway::admin::v1::Admin::NewStub(
      grpc::CreateCustomChannel(options_.server, grpc::InsecureChannelCredentials(), arguments));
}

void AdminClient::PrepareContext(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(options_.deadline));
  if (!options_.token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.token));
  }
}

absl::Status AdminClient::Translate(absl::string_view method, const grpc::Status& status) const {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  // One line on stderr, whatever the server wrote.
  std::string message = absl::StrReplaceAll(status.error_message(), {{"\r", " "}, {"\n", " "}});
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      message = absl::StrCat("cannot reach the server at ", options_.server);
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      message = absl::StrCat("the server at ", options_.server, " did not answer within ",
                             absl::FormatDuration(options_.deadline));
      break;
    case grpc::StatusCode::UNIMPLEMENTED:
      message = absl::StrCat("the server does not implement ", method, " yet");
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      if (message.empty()) message = "the server refused the admin token";
      if (options_.token.empty()) {
        absl::StrAppend(&message, " (no token given: set --token or GWCTL_TOKEN)");
      }
      break;
    default:
      if (message.empty()) {
        message = absl::StrCat(method, " failed: ", absl::StatusCodeToString(code));
      }
      break;
  }
  return absl::Status(code, message);
}

}  // namespace gw::cli
