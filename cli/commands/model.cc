// gwctl model create|get|list|delete.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/resource_json.h"
#include "google/protobuf/empty.pb.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = AdminClient::Stub;

std::string UpstreamText(const cfg::Model& model) {
  return model.upstream_model().empty() ? model.name() : model.upstream_model();
}

std::string ContextText(const cfg::Model& model) {
  return model.context_window() == 0 ? "-" : absl::StrCat(model.context_window());
}

std::string CapabilitiesText(const cfg::Model& model) {
  return model.capabilities().empty() ? "-" : absl::StrJoin(model.capabilities(), ",");
}

void PrintModel(const CommandContext& ctx, const cfg::Model& model) {
  if (ctx.json()) {
    ctx.Print(JsonToText(ModelJson(model)));
    return;
  }
  ctx.Print(RenderFields({{"name", model.name()},
                          {"provider", model.provider()},
                          {"upstream model", UpstreamText(model)},
                          {"capabilities", CapabilitiesText(model)},
                          {"context window", ContextText(model)}}));
}

struct CreateFlags {
  std::string name;
  std::string provider;
  std::string upstream_model;
  std::vector<std::string> capabilities;
  int64_t context_window = 0;
};

}  // namespace

void AddModelCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* model = app.add_subcommand("model", "Manage public model names");
  model->require_subcommand(1);

  auto flags = std::make_shared<CreateFlags>();
  CLI::App* create = model->add_subcommand("create", "Add a public model served by a provider");
  create->add_option("name", flags->name, "Public model name applications ask for")->required();
  create->add_option("--provider", flags->provider, "Provider serving it")->required();
  create->add_option("--upstream-model", flags->upstream_model,
                     "The provider's model name (default: the public name)");
  create
      ->add_option("--capabilities", flags->capabilities,
                   "Comma-separated tags: chat, embeddings, tools, vision, json_mode")
      ->delimiter(',');
  create->add_option("--context-window", flags->context_window, "Context window in tokens")
      ->check(CLI::NonNegativeNumber);
  create->callback([&ctx, flags] {
    ctx.SetAction([&ctx, flags] {
      adminpb::CreateModelRequest request;
      cfg::Model* m = request.mutable_model();
      m->set_name(flags->name);
      m->set_provider(flags->provider);
      m->set_upstream_model(flags->upstream_model);
      for (const std::string& capability : flags->capabilities) {
        if (!capability.empty()) m->add_capabilities(capability);
      }
      m->set_context_window(flags->context_window);
      cfg::Model created;
      if (auto s = ctx.client().Call("CreateModel", &Stub::CreateModel, request, &created);
          !s.ok()) {
        return ctx.Refused(s);
      }
      PrintModel(ctx, created);
      return kExitOk;
    });
  });

  auto get_name = std::make_shared<std::string>();
  CLI::App* get = model->add_subcommand("get", "Show one model");
  get->add_option("name", *get_name, "Public model name")->required();
  get->callback([&ctx, get_name] {
    ctx.SetAction([&ctx, get_name] {
      adminpb::GetModelRequest request;
      request.set_name(*get_name);
      cfg::Model found;
      if (auto s = ctx.client().Call("GetModel", &Stub::GetModel, request, &found); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintModel(ctx, found);
      return kExitOk;
    });
  });

  CLI::App* list = model->add_subcommand("list", "List models");
  list->callback([&ctx] {
    ctx.SetAction([&ctx] {
      adminpb::ListModelsResponse response;
      if (auto s = ctx.client().Call("ListModels", &Stub::ListModels, adminpb::ListModelsRequest(),
                                     &response);
          !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ListJson(response.models(), ModelJson)));
        return kExitOk;
      }
      Table table({"NAME", "PROVIDER", "UPSTREAM_MODEL", "CAPABILITIES", "CONTEXT"});
      for (const cfg::Model& m : response.models()) {
        table.AddRow(
            {m.name(), m.provider(), UpstreamText(m), CapabilitiesText(m), ContextText(m)});
      }
      ctx.Print(table.Render());
      return kExitOk;
    });
  });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* remove = model->add_subcommand("delete", "Delete a model");
  remove->add_option("name", *delete_name, "Public model name")->required();
  remove->callback([&ctx, delete_name] {
    ctx.SetAction([&ctx, delete_name] {
      adminpb::DeleteModelRequest request;
      request.set_name(*delete_name);
      google::protobuf::Empty empty;
      if (auto s = ctx.client().Call("DeleteModel", &Stub::DeleteModel, request, &empty); !s.ok()) {
        return ctx.Refused(s);
      }
      ctx.Print(ctx.json() ? JsonToText(boost::json::object{{"deleted", *delete_name}})
                           : absl::StrCat("deleted model ", *delete_name, "\n"));
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
