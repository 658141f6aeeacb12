// gwctl key create|list|revoke|rotate.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/command_context.h"
#include "cli/commands/commands.h"
#include "cli/durations.h"
#include "cli/flag_validators.h"
#include "cli/resource_json.h"

namespace gw::cli {
namespace {

namespace adminpb = gateway::admin::v1;
using Stub = AdminClient::Stub;

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

google::protobuf::Timestamp ToProto(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1'000'000'000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return timestamp;
}

std::string KeyState(const adminpb::ApiKey& key, absl::Time now) {
  if (key.has_revoked_at()) {
    const absl::Time revoked = ToTime(key.revoked_at());
    if (revoked <= now) return "revoked";
    return absl::StrCat("active until ", TimestampText(key.revoked_at()), " (rotated)");
  }
  if (key.has_expires_at() && ToTime(key.expires_at()) <= now) return "expired";
  return "active";
}

void PrintCreatedKey(const CommandContext& ctx, const adminpb::CreateKeyResponse& created) {
  if (ctx.json()) {
    ctx.Print(JsonToText(CreatedKeyJson(created)));
    return;
  }
  const adminpb::ApiKey& key = created.key();
  ctx.Print(
      RenderFields({{"id", key.id()},
                    {"team", key.team()},
                    {"name", key.name()},
                    {"prefix", key.prefix()},
                    {"expires", key.has_expires_at() ? TimestampText(key.expires_at()) : "never"},
                    {"key", created.plaintext_key()}}));
  ctx.Print("\nWARNING: the key is shown only once; store it now. It cannot be shown again.\n");
}

struct CreateFlags {
  std::string team;
  std::string name;
  std::string expires;
  std::vector<std::string> allowed_models;
};

struct RotateFlags {
  std::string id;
  std::string grace = "0";
};

}  // namespace

void AddKeyCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* key = app.add_subcommand("key", "Manage a team's API keys");
  key->require_subcommand(1);

  auto create_flags = std::make_shared<CreateFlags>();
  CLI::App* create = key->add_subcommand("create", "Issue a key (its plaintext is shown once)");
  create->add_option("--team", create_flags->team, "Team the key belongs to")->required();
  create->add_option("--name", create_flags->name, "A label for the key");
  create
      ->add_option("--expires", create_flags->expires,
                   "Lifetime (30d, 12h, 90m) or an RFC 3339 time; default: never")
      ->check(ExpiryValidator());
  create
      ->add_option("--allowed-models", create_flags->allowed_models,
                   "Narrow the team's models for this key (comma-separated)")
      ->delimiter(',');
  create->callback([&ctx, create_flags] {
    ctx.SetAction([&ctx, create_flags] {
      adminpb::CreateKeyRequest request;
      request.set_team(create_flags->team);
      request.set_name(create_flags->name);
      if (!create_flags->expires.empty()) {
        // Whole seconds: "30d" should print as a clean RFC 3339 time.
        absl::StatusOr<absl::Time> expiry = ParseExpiry(
            create_flags->expires, absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
        if (!expiry.ok()) return ctx.UsageError(expiry.status().message());
        *request.mutable_expires_at() = ToProto(*expiry);
      }
      for (const std::string& model : create_flags->allowed_models) {
        if (!model.empty()) request.add_allowed_models(model);
      }
      adminpb::CreateKeyResponse created;
      if (auto s = ctx.client().Call("CreateKey", &Stub::CreateKey, request, &created); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintCreatedKey(ctx, created);
      return kExitOk;
    });
  });

  auto list_team = std::make_shared<std::string>();
  CLI::App* list = key->add_subcommand("list", "List a team's keys (never their plaintext)");
  list->add_option("--team", *list_team, "Team name")->required();
  list->callback([&ctx, list_team] {
    ctx.SetAction([&ctx, list_team] {
      adminpb::ListKeysRequest request;
      request.set_team(*list_team);
      adminpb::ListKeysResponse response;
      if (auto s = ctx.client().Call("ListKeys", &Stub::ListKeys, request, &response); !s.ok()) {
        return ctx.Refused(s);
      }
      if (ctx.json()) {
        ctx.Print(JsonToText(ListJson(response.keys(), ApiKeyJson)));
        return kExitOk;
      }
      const absl::Time now = absl::Now();
      Table table({"ID", "PREFIX", "NAME", "STATE", "CREATED", "EXPIRES", "MODELS"});
      for (const adminpb::ApiKey& k : response.keys()) {
        table.AddRow(
            {k.id(), k.prefix(), k.name(), KeyState(k, now),
             k.has_created_at() ? TimestampText(k.created_at()) : "-",
             k.has_expires_at() ? TimestampText(k.expires_at()) : "never",
             k.allowed_models().empty() ? "team's" : absl::StrJoin(k.allowed_models(), ",")});
      }
      ctx.Print(table.Render());
      return kExitOk;
    });
  });

  auto revoke_id = std::make_shared<std::string>();
  CLI::App* revoke = key->add_subcommand("revoke", "Revoke a key at once");
  revoke->add_option("id", *revoke_id, "Key id")->required();
  revoke->callback([&ctx, revoke_id] {
    ctx.SetAction([&ctx, revoke_id] {
      adminpb::RevokeKeyRequest request;
      request.set_id(*revoke_id);
      adminpb::ApiKey revoked;
      if (auto s = ctx.client().Call("RevokeKey", &Stub::RevokeKey, request, &revoked); !s.ok()) {
        return ctx.Refused(s);
      }
      ctx.Print(ctx.json() ? JsonToText(ApiKeyJson(revoked))
                           : absl::StrCat("revoked key ", revoked.id(), " (", revoked.prefix(),
                                          "...) of team ", revoked.team(), "\n"));
      return kExitOk;
    });
  });

  auto rotate_flags = std::make_shared<RotateFlags>();
  CLI::App* rotate =
      key->add_subcommand("rotate", "Issue a replacement key; the old one lasts --grace");
  rotate->add_option("id", rotate_flags->id, "Key id")->required();
  rotate
      ->add_option("--grace", rotate_flags->grace,
                   "How long the old key stays valid (24h, 90m; default 0: revoked now)")
      ->check(DurationValidator());
  rotate->callback([&ctx, rotate_flags] {
    ctx.SetAction([&ctx, rotate_flags] {
      absl::StatusOr<absl::Duration> grace = ParseFlagDuration(rotate_flags->grace);
      if (!grace.ok()) return ctx.UsageError(grace.status().message());
      adminpb::RotateKeyRequest request;
      request.set_id(rotate_flags->id);
      request.mutable_grace_period()->set_seconds(absl::ToInt64Seconds(*grace));
      adminpb::CreateKeyResponse created;
      if (auto s = ctx.client().Call("RotateKey", &Stub::RotateKey, request, &created); !s.ok()) {
        return ctx.Refused(s);
      }
      PrintCreatedKey(ctx, created);
      if (!ctx.json()) {
        ctx.Print(*grace == absl::ZeroDuration()
                      ? absl::StrCat("The old key ", rotate_flags->id, " is revoked.\n")
                      : absl::StrCat("The old key ", rotate_flags->id, " stays valid for ",
                                     rotate_flags->grace, ".\n"));
      }
      return kExitOk;
    });
  });
}

}  // namespace gw::cli
