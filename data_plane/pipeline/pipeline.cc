#include "data_plane/pipeline/pipeline.h"

#include <cstddef>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include "data_plane/http/openai_error.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace {

// Runs the completion hooks of the first `entered` stages, in reverse, when it goes out of scope:
// after the responder returned, and also when the request's coroutine is destroyed while writing
// (a server stopping at its drain deadline), so that no request goes unmetered.
class CompleteOnExit {
 public:
  CompleteOnExit(const std::vector<std::shared_ptr<const Stage>>& stages, size_t entered,
                 RequestContext& ctx)
      : stages_(stages), entered_(entered), ctx_(ctx) {}
  CompleteOnExit(const CompleteOnExit&) = delete;
  CompleteOnExit& operator=(const CompleteOnExit&) = delete;
  ~CompleteOnExit() {
    while (entered_ > 0) stages_[--entered_]->OnComplete(ctx_);
  }

 private:
  const std::vector<std::shared_ptr<const Stage>>& stages_;
  size_t entered_;
  RequestContext& ctx_;
};

}  // namespace

Pipeline::Pipeline(std::vector<std::shared_ptr<const Stage>> stages,
                   std::shared_ptr<const Handler> handler)
    : stages_(std::move(stages)), handler_(std::move(handler)) {}

boost::asio::awaitable<bool> Pipeline::Run(RequestContext& ctx, Responder respond) const {
  size_t entered = 0;
  bool answered = false;
  while (entered < stages_.size()) {
    const StageVerdict verdict = stages_[entered]->OnRequest(ctx);
    ++entered;
    if (verdict == StageVerdict::kRespond) {
      answered = true;
      break;
    }
  }
  if (!answered) {
    // Errors become a response here so that the response hooks below still run.
    std::exception_ptr failure;
    try {
      co_await handler_->Handle(ctx);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        spdlog::error("request {} failed: {}",
                      std::string_view(ctx.request_id.data(), ctx.request_id.size()), e.what());
      } catch (...) {
        spdlog::error("request {} failed",
                      std::string_view(ctx.request_id.data(), ctx.request_id.size()));
      }
      SetOpenAiError(ctx.response, 500, ErrorType::kApi, "internal_error",
                     "The gateway failed to process the request.");
    }
  }
  for (size_t i = entered; i > 0; --i) stages_[i - 1]->OnResponse(ctx);
  const CompleteOnExit complete(stages_, entered, ctx);
  co_return co_await respond();
}

}  // namespace gw::dp
