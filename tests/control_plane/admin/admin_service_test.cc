// The Admin API through its generated stub, against a real store: auth, each resource's
// lifecycle, bad input (right code, version unchanged), update masks, Apply/Export.

#include "control_plane/admin/admin_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/config_resources.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/control_plane/admin/admin_test_server.h"

namespace gw::testing {
namespace {

namespace admin = gateway::admin::v1;
namespace cfg = gateway::config::v1;
using Stub = admin::Admin::Stub;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

cfg::Team MakeTeam(const std::string& name) {
  cfg::Team team;
  team.set_name(name);
  return team;
}

// What the store keeps of `team`: unspecified enums become their defaults.
cfg::Team Canonical(cfg::Team team) {
  cfg::GatewayConfig config;
  *config.add_teams() = std::move(team);
  CanonicalizeConfig(config);
  return config.teams(0);
}

cfg::Provider MakeProvider(const std::string& name) {
  cfg::Provider provider;
  provider.set_name(name);
  provider.set_type(cfg::PROVIDER_TYPE_OPENAI);
  provider.set_base_url("https://api.openai.com/v1");
  provider.set_credential_ref("env:OPENAI_API_KEY");
  return provider;
}

cfg::Model MakeModel(const std::string& name, const std::string& provider,
                     const std::string& upstream = "") {
  cfg::Model model;
  model.set_name(name);
  model.set_provider(provider);
  model.set_upstream_model(upstream);
  model.add_capabilities("chat");
  return model;
}

cfg::Route MakeRoute(const std::string& task, const std::string& primary,
                     const std::vector<std::string>& fallbacks = {}) {
  cfg::Route route;
  route.set_task(task);
  route.set_primary(primary);
  for (const std::string& fallback : fallbacks) route.add_fallbacks(fallback);
  return route;
}

cfg::ModelPrice MakePrice(const std::string& model, int64_t input, int64_t cached, int64_t output) {
  cfg::ModelPrice price;
  price.set_model(model);
  price.set_input_micro_usd_per_mtok(input);
  price.set_cached_input_micro_usd_per_mtok(cached);
  price.set_output_micro_usd_per_mtok(output);
  return price;
}

// A configuration using every kind of resource.
cfg::GatewayConfig SampleConfig() {
  cfg::GatewayConfig config;
  cfg::Team search = MakeTeam("search");
  search.set_tier(cfg::TIER_PREMIUM);
  search.mutable_rpm()->set_value(600);
  search.add_allowed_models("gpt-4o");
  *config.add_teams() = search;
  *config.add_teams() = MakeTeam("billing");
  *config.add_providers() = MakeProvider("openai");
  *config.add_models() = MakeModel("gpt-4o", "openai", "gpt-4o-2024-08-06");
  *config.add_models() = MakeModel("gpt-4o-mini", "openai");
  *config.add_routes() = MakeRoute("chat", "gpt-4o", {"gpt-4o-mini"});
  *config.add_prices() = MakePrice("gpt-4o", 2'500'000, 1'250'000, 10'000'000);
  return config;
}

class AdminServiceTest : public ::testing::Test {
 protected:
  grpc::Status CreateTeam(const cfg::Team& team) {
    admin::CreateTeamRequest request;
    *request.mutable_team() = team;
    return server_.Call(&Stub::CreateTeam, request);
  }
  grpc::Status CreateProvider(const cfg::Provider& provider) {
    admin::CreateProviderRequest request;
    *request.mutable_provider() = provider;
    return server_.Call(&Stub::CreateProvider, request);
  }
  grpc::Status CreateModel(const cfg::Model& model) {
    admin::CreateModelRequest request;
    *request.mutable_model() = model;
    return server_.Call(&Stub::CreateModel, request);
  }
  grpc::Status SetRoute(const cfg::Route& route) {
    admin::SetRouteRequest request;
    *request.mutable_route() = route;
    return server_.Call(&Stub::SetRoute, request);
  }
  grpc::Status SetPrice(const std::string& model, const std::string& input,
                        const std::string& cached, const std::string& output,
                        cfg::ModelPrice* price = nullptr) {
    admin::SetPriceRequest request;
    request.set_model(model);
    request.set_input_usd_per_mtok(input);
    request.set_cached_input_usd_per_mtok(cached);
    request.set_output_usd_per_mtok(output);
    cfg::ModelPrice ignored;
    return server_.Call(&Stub::SetPrice, request, price != nullptr ? price : &ignored);
  }
  grpc::Status Apply(const cfg::GatewayConfig& config, bool prune, bool dry_run,
                     admin::ApplyResponse* response) {
    admin::ApplyRequest request;
    *request.mutable_config() = config;
    request.set_prune(prune);
    request.set_dry_run(dry_run);
    return server_.Call(&Stub::Apply, request, response);
  }
  cfg::GatewayConfig Export(AdminTestServer& server) {
    cfg::GatewayConfig config;
    EXPECT_TRUE(IsOk(server.Call(&Stub::Export, admin::ExportRequest(), &config)));
    return config;
  }
  cfg::Team GetTeam(const std::string& name) {
    admin::GetTeamRequest request;
    request.set_name(name);
    cfg::Team team;
    EXPECT_TRUE(IsOk(server_.Call(&Stub::GetTeam, request, &team)));
    return team;
  }
  grpc::Status UpdateTeam(const cfg::Team& team, const std::vector<std::string>& paths,
                          cfg::Team* updated = nullptr) {
    admin::UpdateTeamRequest request;
    *request.mutable_team() = team;
    for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
    cfg::Team ignored;
    return server_.Call(&Stub::UpdateTeam, request, updated != nullptr ? updated : &ignored);
  }
  // Provider "openai" with models "gpt-4o" and "gpt-4o-mini".
  void CreateCatalog() {
    ASSERT_TRUE(IsOk(CreateProvider(MakeProvider("openai"))));
    ASSERT_TRUE(IsOk(CreateModel(MakeModel("gpt-4o", "openai", "gpt-4o-2024-08-06"))));
    ASSERT_TRUE(IsOk(CreateModel(MakeModel("gpt-4o-mini", "openai"))));
  }

  AdminTestServer server_;
};

// ---- Authentication ----

TEST_F(AdminServiceTest, RefusesCallsWithoutTheAdminToken) {
  cfg::GatewayConfig config;
  for (const std::string token : {"", "wrong-token-0123456789", kWorkerToken}) {
    grpc::Status status = server_.Call(&Stub::Export, admin::ExportRequest(), &config, token);
    EXPECT_TRUE(HasCode(status, grpc::StatusCode::UNAUTHENTICATED)) << "token '" << token << "'";
    if (!token.empty()) {
      EXPECT_THAT(status.error_message(), Not(HasSubstr(token)));
    }
  }
  admin::CreateTeamRequest create;
  *create.mutable_team() = MakeTeam("search");
  cfg::Team team;
  EXPECT_TRUE(HasCode(server_.Call(&Stub::CreateTeam, create, &team, kWorkerToken),
                      grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_EQ(server_.Version(), 1);
}

// ---- Teams ----

TEST_F(AdminServiceTest, CreatesGetsListsAndDeletesTeams) {
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("search"))));
  cfg::Team billing = MakeTeam("billing");
  billing.set_tier(cfg::TIER_FREE);
  billing.mutable_monthly_budget_micro_usd()->set_value(50'000'000);
  ASSERT_TRUE(IsOk(CreateTeam(billing)));
  EXPECT_EQ(server_.Version(), 3);

  EXPECT_EQ(GetTeam("search").tier(), cfg::TIER_STANDARD);  // The default tier.
  EXPECT_TRUE(MessageDifferencer::Equals(GetTeam("billing"), Canonical(billing)));

  admin::ListTeamsResponse list;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ListTeams, admin::ListTeamsRequest(), &list)));
  ASSERT_EQ(list.teams_size(), 2);
  EXPECT_EQ(list.teams(0).name(), "billing");
  EXPECT_EQ(list.teams(1).name(), "search");

  admin::DeleteTeamRequest remove;
  remove.set_name("search");
  ASSERT_TRUE(IsOk(server_.Call(&Stub::DeleteTeam, remove)));
  admin::GetTeamRequest get;
  get.set_name("search");
  cfg::Team team;
  grpc::Status missing = server_.Call(&Stub::GetTeam, get, &team);
  EXPECT_TRUE(HasCode(missing, grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(missing.error_message(), "team 'search' does not exist");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::DeleteTeam, remove), grpc::StatusCode::NOT_FOUND));
}

TEST_F(AdminServiceTest, RefusesBadTeamsWithoutMovingTheVersion) {
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("search"))));
  const int64_t version = server_.Version();

  EXPECT_TRUE(HasCode(CreateTeam(MakeTeam("search")), grpc::StatusCode::ALREADY_EXISTS));
  cfg::Team negative = MakeTeam("billing");
  negative.mutable_monthly_budget_micro_usd()->set_value(-1);
  grpc::Status status = CreateTeam(negative);
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), HasSubstr("budget"));
  EXPECT_TRUE(HasCode(CreateTeam(MakeTeam("bad name!")), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(HasCode(CreateTeam(MakeTeam("")), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(HasCode(UpdateTeam(MakeTeam("unknown"), {"rpm"}), grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(server_.Version(), version);
}

TEST_F(AdminServiceTest, UpdateChangesOnlyTheFieldsTheMaskNames) {
  cfg::Team team = MakeTeam("search");
  team.set_tier(cfg::TIER_PREMIUM);
  team.mutable_rpm()->set_value(100);
  team.mutable_tpm()->set_value(10'000);
  team.mutable_max_tokens_per_request()->set_value(4096);
  team.add_allowed_models("gpt-4o");
  ASSERT_TRUE(IsOk(CreateTeam(team)));

  // A patch carrying other values: only rpm is named, so only rpm changes.
  cfg::Team patch = MakeTeam("search");
  patch.mutable_rpm()->set_value(200);
  patch.mutable_tpm()->set_value(1);
  patch.set_tier(cfg::TIER_FREE);
  cfg::Team updated;
  ASSERT_TRUE(IsOk(UpdateTeam(patch, {"rpm"}, &updated)));
  cfg::Team expected = Canonical(team);
  expected.mutable_rpm()->set_value(200);
  EXPECT_TRUE(MessageDifferencer::Equals(GetTeam("search"), expected))
      << GetTeam("search").DebugString();
  EXPECT_TRUE(MessageDifferencer::Equals(updated, expected));

  // Named but unset wrappers are cleared; a named list is replaced.
  cfg::Team clear = MakeTeam("search");
  clear.add_allowed_models("gpt-4o-mini");
  clear.add_allowed_models("claude");
  ASSERT_TRUE(IsOk(UpdateTeam(clear, {"tpm", "max_tokens_per_request", "allowed_models"})));
  const cfg::Team stored = GetTeam("search");
  EXPECT_FALSE(stored.has_tpm());
  EXPECT_FALSE(stored.has_max_tokens_per_request());
  EXPECT_EQ(stored.rpm().value(), 200);
  EXPECT_EQ(stored.tier(), cfg::TIER_PREMIUM);
  EXPECT_THAT(stored.allowed_models(), ElementsAre("gpt-4o-mini", "claude"));
}

TEST_F(AdminServiceTest, UpdateRefusesBadMasksWithoutMovingTheVersion) {
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("search"))));
  const int64_t version = server_.Version();
  cfg::Team patch = MakeTeam("search");
  patch.mutable_rpm()->set_value(5);
  for (const std::vector<std::string>& paths : std::vector<std::vector<std::string>>{
           {}, {"rpmm"}, {"name"}, {"rpm.value"}, {"rpm", "bogus"}}) {
    EXPECT_TRUE(HasCode(UpdateTeam(patch, paths), grpc::StatusCode::INVALID_ARGUMENT))
        << "paths: " << paths.size();
  }
  cfg::Team negative = MakeTeam("search");
  negative.mutable_rpm()->set_value(-5);
  EXPECT_TRUE(HasCode(UpdateTeam(negative, {"rpm"}), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(server_.Version(), version);
  EXPECT_FALSE(GetTeam("search").has_rpm());
}

// ---- Keys ----

TEST_F(AdminServiceTest, ManagesKeysAndDeletesThemWithTheirTeam) {
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("search"))));
  admin::CreateKeyRequest create;
  create.set_team("search");
  create.set_name("ci");
  admin::CreateKeyResponse created;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::CreateKey, create, &created)));
  EXPECT_EQ(created.plaintext_key().substr(0, 4), "gwk-");
  EXPECT_EQ(created.key().prefix(), created.plaintext_key().substr(0, 12));
  EXPECT_EQ(created.key().team(), "search");

  admin::ListKeysRequest list;
  list.set_team("search");
  admin::ListKeysResponse keys;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ListKeys, list, &keys)));
  ASSERT_EQ(keys.keys_size(), 1);
  EXPECT_EQ(keys.keys(0).id(), created.key().id());

  admin::RotateKeyRequest rotate;
  rotate.set_id(created.key().id());
  admin::CreateKeyResponse rotated;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::RotateKey, rotate, &rotated)));
  EXPECT_NE(rotated.key().id(), created.key().id());
  EXPECT_NE(rotated.plaintext_key(), created.plaintext_key());

  admin::RevokeKeyRequest revoke;
  revoke.set_id(rotated.key().id());
  admin::ApiKey revoked;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::RevokeKey, revoke, &revoked)));
  EXPECT_TRUE(revoked.has_revoked_at());

  admin::DeleteTeamRequest remove;
  remove.set_name("search");
  ASSERT_TRUE(IsOk(server_.Call(&Stub::DeleteTeam, remove)));
  EXPECT_EQ(server_.store().Current()->keys_size(), 0);
  EXPECT_TRUE(HasCode(server_.Call(&Stub::ListKeys, list, &keys), grpc::StatusCode::NOT_FOUND));
}

TEST_F(AdminServiceTest, RefusesKeysOfUnknownTeamsAndIds) {
  const int64_t version = server_.Version();
  admin::CreateKeyRequest create;
  create.set_team("nobody");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::CreateKey, create), grpc::StatusCode::NOT_FOUND));
  admin::ListKeysRequest list;
  list.set_team("nobody");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::ListKeys, list), grpc::StatusCode::NOT_FOUND));
  admin::RevokeKeyRequest revoke;
  revoke.set_id("key_doesnotexist");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::RevokeKey, revoke), grpc::StatusCode::NOT_FOUND));
  admin::RotateKeyRequest rotate;
  rotate.set_id("key_doesnotexist");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::RotateKey, rotate), grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(server_.Version(), version);
}

// ---- Providers and models ----

TEST_F(AdminServiceTest, ManagesProvidersAndModels) {
  CreateCatalog();
  admin::GetProviderRequest get_provider;
  get_provider.set_name("openai");
  cfg::Provider provider;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::GetProvider, get_provider, &provider)));
  EXPECT_TRUE(MessageDifferencer::Equals(provider, MakeProvider("openai")));
  admin::ListProvidersResponse providers;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ListProviders, admin::ListProvidersRequest(), &providers)));
  EXPECT_EQ(providers.providers_size(), 1);

  admin::GetModelRequest get_model;
  get_model.set_name("gpt-4o");
  cfg::Model model;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::GetModel, get_model, &model)));
  EXPECT_EQ(model.upstream_model(), "gpt-4o-2024-08-06");
  admin::ListModelsResponse models;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ListModels, admin::ListModelsRequest(), &models)));
  ASSERT_EQ(models.models_size(), 2);
  EXPECT_EQ(models.models(0).name(), "gpt-4o");
  EXPECT_EQ(models.models(1).name(), "gpt-4o-mini");

  get_model.set_name("claude");
  EXPECT_TRUE(
      HasCode(server_.Call(&Stub::GetModel, get_model, &model), grpc::StatusCode::NOT_FOUND));
  get_provider.set_name("anthropic");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::GetProvider, get_provider, &provider),
                      grpc::StatusCode::NOT_FOUND));
}

TEST_F(AdminServiceTest, RefusesBadProvidersAndModelsWithoutMovingTheVersion) {
  CreateCatalog();
  const int64_t version = server_.Version();

  EXPECT_TRUE(HasCode(CreateProvider(MakeProvider("openai")), grpc::StatusCode::ALREADY_EXISTS));
  cfg::Provider untyped = MakeProvider("vllm");
  untyped.set_type(cfg::PROVIDER_TYPE_UNSPECIFIED);
  EXPECT_TRUE(HasCode(CreateProvider(untyped), grpc::StatusCode::INVALID_ARGUMENT));
  cfg::Provider unknown_type = MakeProvider("vllm");
  unknown_type.set_type(static_cast<cfg::ProviderType>(99));
  EXPECT_TRUE(HasCode(CreateProvider(unknown_type), grpc::StatusCode::INVALID_ARGUMENT));
  cfg::Provider bad_credential = MakeProvider("vllm");
  bad_credential.set_credential_ref("sk-live-this-is-a-secret");
  grpc::Status status = CreateProvider(bad_credential);
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("sk-live-this-is-a-secret")));
  cfg::Provider bad_url = MakeProvider("vllm");
  bad_url.set_base_url("not a url");
  EXPECT_TRUE(HasCode(CreateProvider(bad_url), grpc::StatusCode::INVALID_ARGUMENT));

  EXPECT_TRUE(
      HasCode(CreateModel(MakeModel("gpt-4o", "openai")), grpc::StatusCode::ALREADY_EXISTS));
  status = CreateModel(MakeModel("claude", "anthropic"));
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), HasSubstr("anthropic"));
  EXPECT_EQ(server_.Version(), version);
}

TEST_F(AdminServiceTest, RefusesToDeleteWhatIsStillUsed) {
  CreateCatalog();
  ASSERT_TRUE(IsOk(SetRoute(MakeRoute("chat", "gpt-4o", {"gpt-4o-mini"}))));
  const int64_t version = server_.Version();

  admin::DeleteProviderRequest delete_provider;
  delete_provider.set_name("openai");
  grpc::Status status = server_.Call(&Stub::DeleteProvider, delete_provider);
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(status.error_message(), HasSubstr("gpt-4o, gpt-4o-mini"));

  admin::DeleteModelRequest delete_model;
  delete_model.set_name("gpt-4o-mini");
  status = server_.Call(&Stub::DeleteModel, delete_model);
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(status.error_message(), HasSubstr("chat"));
  EXPECT_EQ(server_.Version(), version);

  // Once unused, they go; a model takes its price with it.
  ASSERT_TRUE(IsOk(SetPrice("gpt-4o-mini", "0.15", "", "0.60")));
  ASSERT_TRUE(IsOk(SetRoute(MakeRoute("chat", "gpt-4o"))));
  ASSERT_TRUE(IsOk(server_.Call(&Stub::DeleteModel, delete_model)));
  EXPECT_EQ(server_.store().Current()->config().prices_size(), 0);
  EXPECT_TRUE(HasCode(server_.Call(&Stub::DeleteModel, delete_model), grpc::StatusCode::NOT_FOUND));
  admin::DeleteRouteRequest delete_route;
  delete_route.set_task("chat");
  ASSERT_TRUE(IsOk(server_.Call(&Stub::DeleteRoute, delete_route)));
  delete_model.set_name("gpt-4o");
  ASSERT_TRUE(IsOk(server_.Call(&Stub::DeleteModel, delete_model)));
  ASSERT_TRUE(IsOk(server_.Call(&Stub::DeleteProvider, delete_provider)));
  EXPECT_TRUE(
      HasCode(server_.Call(&Stub::DeleteProvider, delete_provider), grpc::StatusCode::NOT_FOUND));
}

// ---- Routes ----

TEST_F(AdminServiceTest, SetRouteCreatesOrReplaces) {
  CreateCatalog();
  ASSERT_TRUE(IsOk(SetRoute(MakeRoute("chat", "gpt-4o"))));
  cfg::Route replacement = MakeRoute("chat", "gpt-4o-mini", {"gpt-4o"});
  replacement.set_strategy(cfg::ROUTING_STRATEGY_COST);
  ASSERT_TRUE(IsOk(SetRoute(replacement)));

  admin::GetRouteRequest get;
  get.set_task("chat");
  cfg::Route route;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::GetRoute, get, &route)));
  EXPECT_TRUE(MessageDifferencer::Equals(route, replacement));
  admin::ListRoutesResponse routes;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ListRoutes, admin::ListRoutesRequest(), &routes)));
  EXPECT_EQ(routes.routes_size(), 1);

  const int64_t version = server_.Version();
  grpc::Status status = SetRoute(MakeRoute("summarise", "gpt-5"));
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), HasSubstr("gpt-5"));
  EXPECT_TRUE(HasCode(SetRoute(MakeRoute("summarise", "")), grpc::StatusCode::INVALID_ARGUMENT));
  get.set_task("summarise");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::GetRoute, get, &route), grpc::StatusCode::NOT_FOUND));
  admin::DeleteRouteRequest remove;
  remove.set_task("summarise");
  EXPECT_TRUE(HasCode(server_.Call(&Stub::DeleteRoute, remove), grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(server_.Version(), version);
}

// ---- Pricing ----

TEST_F(AdminServiceTest, SetsPricesFromExactDecimals) {
  CreateCatalog();
  cfg::ModelPrice price;
  ASSERT_TRUE(IsOk(SetPrice("gpt-4o", "2.50", "1.25", "10", &price)));
  EXPECT_TRUE(
      MessageDifferencer::Equals(price, MakePrice("gpt-4o", 2'500'000, 1'250'000, 10'000'000)));
  ASSERT_TRUE(IsOk(SetPrice("gpt-4o-mini", "0.15", "", "0.000001", &price)));
  EXPECT_TRUE(MessageDifferencer::Equals(price, MakePrice("gpt-4o-mini", 150'000, 150'000, 1)));

  admin::ListPricesResponse prices;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ListPrices, admin::ListPricesRequest(), &prices)));
  ASSERT_EQ(prices.prices_size(), 2);
  EXPECT_EQ(prices.prices(0).model(), "gpt-4o");
  EXPECT_EQ(prices.prices(1).cached_input_micro_usd_per_mtok(), 150'000);
}

TEST_F(AdminServiceTest, RefusesBadPricesWithoutMovingTheVersion) {
  CreateCatalog();
  const int64_t version = server_.Version();
  grpc::Status status = SetPrice("gpt-4o", "2,50", "", "10");
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), HasSubstr("input price '2,50' is not a decimal"));
  EXPECT_TRUE(HasCode(SetPrice("gpt-4o", "2.5", "1e3", "10"), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(HasCode(SetPrice("gpt-4o", "2.5", "", "-1"), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(HasCode(SetPrice("gpt-4o", "", "", "1"), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_TRUE(
      HasCode(SetPrice("gpt-4o", "0.0000001", "", "1"), grpc::StatusCode::INVALID_ARGUMENT));
  status = SetPrice("gpt-5", "1", "", "1");
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(status.error_message(), "model 'gpt-5' does not exist");
  EXPECT_EQ(server_.Version(), version);
}

TEST_F(AdminServiceTest, ImportPricesMatchesUpstreamNamesInOneVersion) {
  CreateCatalog();
  ASSERT_TRUE(IsOk(CreateModel(MakeModel("fast", "openai", "gpt-4o-mini"))));
  ASSERT_TRUE(IsOk(CreateModel(MakeModel("local", "openai", "llama-3"))));
  const int64_t version = server_.Version();

  admin::ImportPricesRequest request;
  for (const auto& [upstream, input] : std::vector<std::pair<std::string, int64_t>>{
           {"gpt-4o-2024-08-06", 2'500'000}, {"gpt-4o-mini", 150'000}, {"gpt-4o", 99}}) {
    admin::UpstreamPrice* price = request.add_prices();
    price->set_upstream_model(upstream);
    price->set_input_micro_usd_per_mtok(input);
    price->set_cached_input_micro_usd_per_mtok(input / 2);
    price->set_output_micro_usd_per_mtok(input * 4);
  }
  admin::ImportPricesResponse response;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::ImportPrices, request, &response)));
  // "gpt-4o" prices by its upstream name, not by its public name; "local" matches nothing.
  ASSERT_EQ(response.updated_size(), 3);
  EXPECT_TRUE(
      MessageDifferencer::Equals(response.updated(0), MakePrice("fast", 150'000, 75'000, 600'000)));
  EXPECT_TRUE(MessageDifferencer::Equals(response.updated(1),
                                         MakePrice("gpt-4o", 2'500'000, 1'250'000, 10'000'000)));
  EXPECT_TRUE(MessageDifferencer::Equals(response.updated(2),
                                         MakePrice("gpt-4o-mini", 150'000, 75'000, 600'000)));
  EXPECT_EQ(server_.Version(), version + 1);
  EXPECT_EQ(server_.store().Current()->config().prices_size(), 3);

  admin::UpstreamPrice* negative = request.add_prices();
  negative->set_upstream_model("llama-3");
  negative->set_input_micro_usd_per_mtok(-1);
  EXPECT_TRUE(HasCode(server_.Call(&Stub::ImportPrices, request, &response),
                      grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(server_.Version(), version + 1);
}

// ---- Apply and export ----

TEST_F(AdminServiceTest, ApplyIsIdempotent) {
  admin::ApplyResponse first;
  ASSERT_TRUE(IsOk(Apply(SampleConfig(), false, false, &first)));
  EXPECT_THAT(first.changes(), ElementsAre("team/billing: created", "team/search: created",
                                           "provider/openai: created", "model/gpt-4o: created",
                                           "model/gpt-4o-mini: created", "route/chat: created",
                                           "price/gpt-4o: created"));
  EXPECT_EQ(first.config_version(), 2);  // One version for the whole file.
  EXPECT_EQ(server_.Version(), 2);

  admin::ApplyResponse second;
  ASSERT_TRUE(IsOk(Apply(SampleConfig(), false, false, &second)));
  EXPECT_THAT(second.changes(), IsEmpty());
  EXPECT_EQ(second.config_version(), 2);
  EXPECT_EQ(server_.Version(), 2);

  cfg::GatewayConfig changed = SampleConfig();
  changed.mutable_teams(0)->mutable_rpm()->set_value(1200);
  admin::ApplyResponse third;
  ASSERT_TRUE(IsOk(Apply(changed, false, false, &third)));
  EXPECT_THAT(third.changes(), ElementsAre("team/search: updated"));
  EXPECT_EQ(third.config_version(), 3);
}

TEST_F(AdminServiceTest, ApplyLeavesOtherResourcesAloneUnlessPruning) {
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("ops"))));
  admin::CreateKeyRequest create_key;
  create_key.set_team("ops");
  ASSERT_TRUE(IsOk(server_.Call(&Stub::CreateKey, create_key)));

  admin::ApplyResponse merged;
  ASSERT_TRUE(IsOk(Apply(SampleConfig(), false, false, &merged)));
  EXPECT_EQ(server_.store().Current()->config().teams_size(), 3);

  cfg::GatewayConfig smaller = SampleConfig();
  smaller.mutable_routes()->Clear();
  smaller.mutable_prices()->Clear();
  smaller.mutable_models()->RemoveLast();  // gpt-4o-mini
  admin::ApplyResponse pruned;
  ASSERT_TRUE(IsOk(Apply(smaller, true, false, &pruned)));
  EXPECT_THAT(pruned.changes(), ElementsAre("team/ops: deleted", "model/gpt-4o-mini: deleted",
                                            "route/chat: deleted", "price/gpt-4o: deleted"));
  EXPECT_EQ(server_.store().Current()->config().teams_size(), 2);
  EXPECT_EQ(server_.store().Current()->keys_size(), 0);  // ops' key went with ops.
}

TEST_F(AdminServiceTest, ApplyDryRunReportsWithoutWriting) {
  admin::ApplyResponse dry;
  ASSERT_TRUE(IsOk(Apply(SampleConfig(), false, true, &dry)));
  EXPECT_EQ(dry.changes_size(), 7);
  EXPECT_EQ(dry.config_version(), 1);
  EXPECT_EQ(server_.Version(), 1);
  EXPECT_EQ(Export(server_).ByteSizeLong(), 0u);

  // A dry run validates like a real one.
  cfg::GatewayConfig broken = SampleConfig();
  broken.mutable_routes(0)->set_primary("gpt-5");
  EXPECT_TRUE(HasCode(Apply(broken, false, true, &dry), grpc::StatusCode::INVALID_ARGUMENT));
}

TEST_F(AdminServiceTest, ApplyRefusesInvalidFilesWithoutMovingTheVersion) {
  admin::ApplyResponse response;
  ASSERT_TRUE(IsOk(Apply(SampleConfig(), false, false, &response)));
  const int64_t version = server_.Version();

  cfg::GatewayConfig missing_model = SampleConfig();
  missing_model.mutable_routes(0)->add_fallbacks("gpt-5");
  EXPECT_TRUE(
      HasCode(Apply(missing_model, false, false, &response), grpc::StatusCode::INVALID_ARGUMENT));
  cfg::GatewayConfig twice = SampleConfig();
  *twice.add_teams() = MakeTeam("search");
  grpc::Status status = Apply(twice, false, false, &response);
  EXPECT_TRUE(HasCode(status, grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_THAT(status.error_message(), HasSubstr("team 'search' is defined twice"));
  // Pruning models away while a route outside the file still uses them fails as a whole.
  cfg::GatewayConfig only_teams;
  *only_teams.add_teams() = MakeTeam("search");
  *only_teams.add_routes() = MakeRoute("chat", "gpt-4o");
  EXPECT_TRUE(
      HasCode(Apply(only_teams, true, false, &response), grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(server_.Version(), version);
}

TEST_F(AdminServiceTest, ExportAppliedToAFreshStoreReproducesTheExport) {
  CreateCatalog();
  cfg::Team search = MakeTeam("search");
  search.mutable_monthly_budget_micro_usd()->set_value(100'000'000);
  search.set_guardrail_level(cfg::GUARDRAIL_LEVEL_STRICT);
  ASSERT_TRUE(IsOk(CreateTeam(search)));
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("billing"))));
  ASSERT_TRUE(IsOk(SetRoute(MakeRoute("chat", "gpt-4o", {"gpt-4o-mini"}))));
  ASSERT_TRUE(IsOk(SetPrice("gpt-4o", "2.50", "1.25", "10")));
  const cfg::GatewayConfig exported = Export(server_);
  EXPECT_EQ(exported.teams(0).name(), "billing");  // Sorted by name.
  EXPECT_EQ(exported.teams(0).tier(), cfg::TIER_STANDARD);

  AdminTestServer fresh;
  admin::ApplyRequest apply;
  *apply.mutable_config() = exported;
  ASSERT_TRUE(IsOk(fresh.Call(&Stub::Apply, apply)));
  const cfg::GatewayConfig reproduced = Export(fresh);
  EXPECT_TRUE(MessageDifferencer::Equals(reproduced, exported))
      << reproduced.DebugString() << "\nvs\n"
      << exported.DebugString();
}

TEST_F(AdminServiceTest, ConcurrentWritesEachGetTheirOwnVersion) {
  constexpr int kThreads = 8;
  constexpr int kTeamsPerThread = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTeamsPerThread; ++i) {
        if (!CreateTeam(MakeTeam("team-" + std::to_string(t) + "-" + std::to_string(i))).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server_.Version(), 1 + kThreads * kTeamsPerThread);
  EXPECT_EQ(Export(server_).teams_size(), kThreads * kTeamsPerThread);
}

// ---- Status, usage ----

TEST_F(AdminServiceTest, StatusReportsTheVersionAndTheWorkers) {
  ASSERT_TRUE(IsOk(CreateTeam(MakeTeam("search"))));
  admin::WorkerStatus worker;
  worker.set_worker_id("worker-1");
  worker.set_connected(true);
  worker.set_applied_version(2);
  server_.workers.push_back(worker);

  admin::GetStatusResponse status;
  ASSERT_TRUE(IsOk(server_.Call(&Stub::GetStatus, admin::GetStatusRequest(), &status)));
  EXPECT_EQ(status.config_version(), 2);
  ASSERT_EQ(status.workers_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(status.workers(0), worker));
}

// Usage reports are tested with ingested data in tests/control_plane/usage; here: the admin
// token guards them and a fresh database answers with empty reports.
TEST_F(AdminServiceTest, UsageAndSpendAnswerEmptyOnAFreshDatabase) {
  admin::ListUsageResponse usage;
  EXPECT_TRUE(IsOk(server_.Call(&Stub::ListUsage, admin::ListUsageRequest(), &usage)));
  EXPECT_EQ(usage.records_size(), 0);
  admin::GetSpendRequest by_team;
  by_team.add_group_by(admin::SPEND_GROUPING_TEAM);
  admin::GetSpendResponse spend;
  EXPECT_TRUE(IsOk(server_.Call(&Stub::GetSpend, by_team, &spend)));
  EXPECT_EQ(spend.rows_size(), 0);
  EXPECT_TRUE(HasCode(server_.Call(&Stub::GetSpend, by_team, &spend, kWorkerToken),
                      grpc::StatusCode::UNAUTHENTICATED));
  EXPECT_TRUE(
      HasCode(server_.Call(&Stub::ListUsage, admin::ListUsageRequest(), &usage, kWorkerToken),
              grpc::StatusCode::UNAUTHENTICATED));
}

}  // namespace
}  // namespace gw::testing
