// gwctl pricing set|list|import.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/config_yaml.h"
#include "cli/litellm_prices.h"
#include "cli/read_file.h"
#include "cli/resource_json.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = AdminClient::Stub;

std::string Usd(int64_t micro_usd) { return absl::StrCat("$", FormatUsdCompact(micro_usd)); }

template <typename Repeated>
void PrintPrices(const CommandContext& ctx, const Repeated& prices) {
  if (ctx.json()) {
    ctx.Print(JsonToText(ListJson(prices, PriceJson)));
    return;
  }
  Table table({"MODEL", "INPUT/1M", "CACHED_INPUT/1M", "OUTPUT/1M"});
  for (const cfg::ModelPrice& price : prices) {
    table.AddRow({price.model(), Usd(price.input_micro_usd_per_mtok()),
                  Usd(price.cached_input_micro_usd_per_mtok()),
                  Usd(price.output_micro_usd_per_mtok())});
  }
  ctx.Print(table.Render());
}

struct SetFlags {
  std::string model;
  std::string input;
  std::string output;
  std::string cached_input;
};

}  // namespace

void AddPricingCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* pricing = app.add_subcommand("pricing", "Manage model prices (USD per 1M tokens)");
  pricing->require_subcommand(1);

  auto flags = std::make_shared<SetFlags>();
  CLI::App* set = pricing->add_subcommand("set", "Set a public model's prices per 1M tokens");
  set->add_option("model", flags->model, "Public model name")->required();
  set->add_option("--input", flags->input, "USD per 1M input tokens, e.g. 2.50")->required();
  set->add_option("--output", flags->output, "USD per 1M output tokens, e.g. 10.00")->required();
  set->add_option("--cached-input", flags->cached_input,
                  "USD per 1M cached input tokens (default: the input price)");
  set->callback([&ctx, flags] {
    ctx.SetAction([&ctx, flags] {
      // Sent as the decimal strings typed: the server parses them exactly.
      adminpb::SetPriceRequest request;
      request.set_model(flags->model);
      request.set_input_usd_per_mtok(flags->input);
      request.set_cached_input_usd_per_mtok(flags->cached_input);
      request.set_output_usd_per_mtok(flags->output);
      cfg::ModelPrice stored;
      if (auto s = ctx.client().Call("SetPrice", &Stub::SetPrice, request, &stored); !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(PriceJson(stored)));
      } else {
        google::protobuf::RepeatedPtrField<cfg::ModelPrice> one;
        *one.Add() = stored;
        PrintPrices(ctx, one);
      }
      return kExitOk;
    });
  });

  CLI::App* list = pricing->add_subcommand("list", "List prices");
  list->callback([&ctx] {
    ctx.SetAction([&ctx] {
      adminpb::ListPricesResponse response;
      if (auto s = ctx.client().Call("ListPrices", &Stub::ListPrices, adminpb::ListPricesRequest(),
                                     &response);
          !s.ok()) {
        return ctx.Refused(s);
      }
      PrintPrices(ctx, response.prices());
      return kExitOk;
    });
  });

  auto file = std::make_shared<std::string>();
  CLI::App* import = pricing->add_subcommand(
      "import", "Price models from LiteLLM's model_prices_and_context_window.json");
  import->add_option("file", *file, "The LiteLLM JSON file (- for stdin)")->required();
  import->callback([&ctx, file] {
    ctx.SetAction([&ctx, file] {
      absl::StatusOr<std::string> text = ReadInputFile(*file);
  if (!text.ok()) return ctx.UsageError(text.status().message());
  absl::StatusOr<LiteLlmPrices> parsed = ParseLiteLlmPrices(*text);
  if (!parsed.ok()) return ctx.UsageError(absl::StrCat(*file, ": ", parsed.status().message()));
  adminpb::ImportPricesRequest request;
  for (auto& price : parsed->prices) *request.add_prices() = std::move(price);
  adminpb::ImportPricesResponse response;
  if (auto s = ctx.client().Call("ImportPrices", &Stub::ImportPrices, request, &response);
      !s.ok()) {
    return ctx.Refused(s);
  }
  PrintPrices(ctx, response.updated());
  if (!ctx.json()) {
    ctx.Print(absl::StrCat("priced ", response.updated_size(), " model(s) from ",
                           request.prices_size(), " upstream price(s); skipped ",
                           parsed->skipped.size(), " entr",
                           parsed->skipped.size() == 1 ? "y" : "ies", " without prices\n"));
  }
  return kExitOk;
});
}  // namespace gw::cli
);
}

}  // namespace gw::cli
