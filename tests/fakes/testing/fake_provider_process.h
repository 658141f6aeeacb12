// gw-fake-provider as a child process for tests: started on a free loopback port, found through
// its "listening http on" log line, stopped with SIGTERM.
//   GW_ASSIGN_OR_RETURN(auto fake, FakeProviderProcess::Start(GW_BIN_DIR "/gw-fake-provider",
//                                                             {"--completion-tokens", "5"}));
//   fake->base_url();  // "http://127.0.0.1:41234/v1", the provider's --base-url
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gw::testing {

class FakeProviderProcess {
 public:
  // `args` are the fake's flags; "--listen 127.0.0.1:0" is added unless `args` has --listen.
  // `env` adds or replaces environment variables of the child. Stdout and stderr go to a log
  // file read by Log().
  static absl::StatusOr<std::unique_ptr<FakeProviderProcess>> Start(
      const std::string& binary, std::vector<std::string> args,
      const std::map<std::string, std::string>& env = {},
      absl::Duration timeout = absl::Seconds(15));

  // SIGTERM, then SIGKILL if the process has not exited within 5 s.
  ~FakeProviderProcess();
  FakeProviderProcess(const FakeProviderProcess&) = delete;
  FakeProviderProcess& operator=(const FakeProviderProcess&) = delete;

  // SIGTERM and wait: the exit code (or 128 + signal when killed by one).
  absl::StatusOr<int> Stop(absl::Duration timeout = absl::Seconds(10));

  // "127.0.0.1:41234".
  const std::string& address() const { return address_; }
  uint16_t port() const { return port_; }
  bool tls() const { return tls_; }
  // "http://127.0.0.1:41234/v1" ("https://" with --tls-cert).
  std::string base_url() const;
  std::string Log() const;

 private:
  FakeProviderProcess() = default;

  pid_t pid_ = -1;
  std::string log_dir_;
  std::string log_path_;
  std::string address_;
  uint16_t port_ = 0;
  bool tls_ = false;
};

}  // namespace gw::testing
