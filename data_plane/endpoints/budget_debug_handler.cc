#include "data_plane/endpoints/budget_debug_handler.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/api_key.h"
#include "common/json_text.h"
#include "data_plane/http/openai_error.h"
#include "data_plane/stages/auth/key_auth_stage.h"

namespace gw::dp {

boost::asio::awaitable<void> BudgetDebugHandler::Handle(RequestContext& ctx) const {
  if (worker_token_.empty() || !ConstantTimeEquals(PresentedApiKey(*ctx.request), worker_token_)) {
    SetOpenAiError(ctx.response, 401, ErrorType::kAuthentication, "invalid_worker_token",
                   "This endpoint needs the worker token as 'Authorization: Bearer <token>'.");
    co_return;
  }
  const std::shared_ptr<const gateway::config::v1::BudgetState> state = budget_state_->Load();
  std::string& body = ctx.response.body;
  ctx.response.status = 200;
  body.assign(R"({"sequence":)");
  if (state == nullptr) {
    body.append(R"(0,"computed_at":null,"teams":[]})");
    co_return;
  }
  absl::StrAppend(&body, state->sequence(), R"(,"computed_at":)");
  if (state->has_computed_at()) {
    const absl::Time computed_at = absl::FromUnixSeconds(state->computed_at().seconds()) +
                                   absl::Nanoseconds(state->computed_at().nanos());
    AppendJsonQuoted(absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", computed_at, absl::UTCTimeZone()),
                     body);
  } else {
    body.append("null");
  }
  body.append(R"(,"teams":[)");
  bool first = true;
  for (const gateway::config::v1::TeamSpend& team : state->teams()) {
    if (!first) body.push_back(',');
    first = false;
    body.append(R"({"team":)");
    AppendJsonQuoted(team.team(), body);
    body.append(R"(,"period":)");
    AppendJsonQuoted(team.period(), body);
    absl::StrAppend(&body, R"(,"spend_pico_usd":)", team.spend_pico_usd(),
                    R"(,"budget_micro_usd":)", team.budget_micro_usd(), "}");
  }
  body.append("]}");
}

}  // namespace gw::dp
