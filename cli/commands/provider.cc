// gwctl provider create|get|list|delete.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/flag_validators.h"
#include "cli/resource_json.h"
#include "common/enum_names.h"
#include "google/protobuf/empty.pb.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = AdminClient::Stub;

std::string CredentialText(const cfg::Provider& provider) {
  return provider.credential_ref().empty() ? "-" : provider.credential_ref();
}

void PrintProvider(const CommandContext& ctx, const cfg::Provider& provider) {
  if (ctx.json()) {
    ctx.Print(JsonToText(ProviderJson(provider)));
    return;
  }
  ctx.Print(RenderFields({{"name", provider.name()},
                          {"type", ProviderTypeName(provider.type())},
                          {"base url", provider.base_url()},
                          {"credential", CredentialText(provider)}}));
}

struct CreateFlags {
  std::string name;
  std::string type;
  std::string base_url;
  std::string api_key_ref;
};

}  // namespace

void AddProviderCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* provider = app.add_subcommand("provider", "Manage upstream LLM providers");
  provider->require_subcommand(1);

  auto flags = std::make_shared<CreateFlags>();
  CLI::App* create = provider->add_subcommand("create", "Add a provider");
  create->add_option("name", flags->name, "Provider name")->required();
  create->add_option("--type", flags->type, "openai|anthropic|gemini|openai-compatible")
      ->required()
      ->check(ProviderTypeValidator());
  create
      ->add_option("--base-url", flags->base_url,
                   "API base URL in the SDK's convention, e.g. https://api.openai.com/v1")
      ->required();
  create->add_option("--api-key-ref", flags->api_key_ref,
                     "Where workers find the credential: env:VAR or file:PATH");
  create->callback([&ctx, flags] {
    ctx.SetAction([&ctx, flags] {
      adminpb::CreateProviderRequest request;
      cfg::Provider* p = request.mutable_provider();
      p->set_name(flags->name);
      p->set_type(*ParseProviderType(flags->type));
      p->set_base_url(flags->base_url);
      p->set_credential_ref(flags->api_key_ref);
      cfg::Provider created;
      if (auto s = ctx.client().Call("CreateProvider", &Stub::CreateProvider, request, &created);
          !s.ok()) {
        return ctx.Refused(s);
      }
      PrintProvider(ctx, created);
      return kExitOk;
    });
  });

  auto get_name = std::make_shared<std::string>();
  CLI::App* get = provider->add_subcommand("get", "Show one provider");
  get->add_option("name", *get_name, "Provider name")->required();
  get->callback([&ctx, get_name] {
    ctx.SetAction([&ctx, get_name] {
      adminpb::GetProviderRequest request;
      request.set_name(*get_name);
      cfg::Provider found;
      if (auto s = ctx.client().Call("GetProvider", &Stub::GetProvider, request, &found); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintProvider(ctx, found);
      return kExitOk;
    });
  });

  CLI::App* list = provider->add_subcommand("list", "List providers");
  list->callback([&ctx] {
    ctx.SetAction([&ctx] {
      adminpb::ListProvidersResponse response;
      if (auto s = ctx.client().Call("ListProviders", &Stub::ListProviders,
                                     adminpb::ListProvidersRequest(), &response);
          !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ListJson(response.providers(), ProviderJson)));
        return kExitOk;
      }
      Table table({"NAME", "TYPE", "BASE_URL", "CREDENTIAL"});
      for (const cfg::Provider& p : response.providers()) {
        table.AddRow({p.name(), ProviderTypeName(p.type()), p.base_url(), CredentialText(p)});
      }
      ctx.Print(table.Render());
      return kExitOk;
    });
  });

  auto delete_name = std::make_shared<std::string>();
  CLI::App* remove = provider->add_subcommand("delete", "Delete a provider");
  remove->add_option("name", *delete_name, "Provider name")->required();
  remove->callback([&ctx, delete_name] {
    ctx.SetAction([&ctx, delete_name] {
      adminpb::DeleteProviderRequest request;
      request.set_name(*delete_name);
      google::protobuf::Empty empty;
      if (auto s = ctx.client().Call("DeleteProvider", &Stub::DeleteProvider, request, &empty);
          !s.ok()) {
        return ctx.Refused(s);
      }
      ctx.Print(ctx.json() ? JsonToText(boost::json::object{{"deleted", *delete_name}})
                           : absl::StrCat("deleted provider ", *delete_name, "\n"));
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
