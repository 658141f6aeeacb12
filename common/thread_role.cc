#include "common/thread_role.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>

namespace gw {
namespace {

constexpr int kBackgroundNice = 10;
constexpr size_t kMaxThreadNameBytes = 15;  // The kernel's 16 bytes, with the terminating NUL.

}  // namespace

void SetThreadRole(absl::string_view name, ThreadPriority priority) {
  const std::string short_name(name.substr(0, kMaxThreadNameBytes));
  (void)pthread_setname_np(pthread_self(), short_name.c_str());
  if (priority == ThreadPriority::kBackground) {
    // On Linux the nice value belongs to the thread whose id is given, not to the process.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBackgroundNice);
  }
}

}  // namespace gw
