#include "data_plane/pipeline/pipeline.h"

#include <exception>
#include <utility>

#include "data_plane/http/openai_error.h"
#include "spdlog/spdlog.h"

namespace gw::dp {

Pipeline::Pipeline(std::vector<std::shared_ptr<const Stage>> stages,
                   std::shared_ptr<const Handler> handler)
    : stages_(std::move(stages)), handler_(std::move(handler)) {}

boost::asio::awaitable<void> Pipeline::Run(RequestContext& ctx) const {
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
  while (entered > 0) stages_[--entered]->OnResponse(ctx);
}

}  // namespace gw::dp
