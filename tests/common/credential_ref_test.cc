// Provider credential references: syntax checked by the control plane, resolved by each worker,
// and the secret never in an error message.
#include "common/credential_ref.h"

#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/integration/harness/status_testing.h"
#include "tests/integration/harness/temp_dir.h"

namespace gw {
namespace {

using Kind = CredentialRef::Kind;

TEST(ParseCredentialRefTest, EmptyMeansNoCredential) {
  absl::StatusOr<CredentialRef> ref = ParseCredentialRef("");
  GW_ASSERT_OK(ref);
  EXPECT_EQ(ref->kind, Kind::kNone);
}

TEST(ParseCredentialRefTest, EnvironmentVariable) {
  absl::StatusOr<CredentialRef> ref = ParseCredentialRef("env:OPENAI_API_KEY");
  GW_ASSERT_OK(ref);
  EXPECT_EQ(ref->kind, Kind::kEnv);
  EXPECT_EQ(ref->target, "OPENAI_API_KEY");
  GW_EXPECT_OK(ParseCredentialRef("env:_x1"));
}

TEST(ParseCredentialRefTest, File) {
  absl::StatusOr<CredentialRef> ref = ParseCredentialRef("file:/run/secrets/openai");
  GW_ASSERT_OK(ref);
  EXPECT_EQ(ref->kind, Kind::kFile);
  EXPECT_EQ(ref->target, "/run/secrets/openai");
}

TEST(ParseCredentialRefTest, RejectsMalformedReferences) {
  for (absl::string_view bad : {"env:", "env:1KEY", "env:MY-KEY", "env:A B", "file:", "ENV:KEY",
                                "vault:secret/x", "OPENAI_API_KEY", "env"}) {
    absl::StatusOr<CredentialRef> ref = ParseCredentialRef(bad);
    EXPECT_FALSE(ref.ok()) << bad;
    EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ParseCredentialRefTest, APastedSecretNeverReachesTheErrorMessage) {
  for (absl::string_view pasted :
       {"sk-proj-Abc123SecretValue", "env:sk-proj-Abc123SecretValue", "Bearer Abc123SecretValue"}) {
    absl::StatusOr<CredentialRef> ref = ParseCredentialRef(pasted);
    ASSERT_FALSE(ref.ok()) << pasted;
    EXPECT_FALSE(absl::StrContains(ref.status().message(), "Abc123SecretValue")) << ref.status();
  }
}

TEST(ResolveCredentialTest, NoneResolvesToEmpty) {
  absl::StatusOr<std::string> secret = ResolveCredential(CredentialRef{});
  GW_ASSERT_OK(secret);
  EXPECT_EQ(*secret, "");
}

TEST(ResolveCredentialTest, FromTheEnvironment) {
  ASSERT_EQ(setenv("GW_TEST_PROVIDER_KEY", "sk-from-env\n", 1), 0);
  absl::StatusOr<std::string> secret =
      ResolveCredential(*ParseCredentialRef("env:GW_TEST_PROVIDER_KEY"));
  GW_ASSERT_OK(secret);
  EXPECT_EQ(*secret, "sk-from-env");
  unsetenv("GW_TEST_PROVIDER_KEY");
}

TEST(ResolveCredentialTest, MissingOrEmptyVariableIsNotFound) {
  unsetenv("GW_TEST_UNSET_KEY");
  absl::StatusOr<std::string> missing =
      ResolveCredential(*ParseCredentialRef("env:GW_TEST_UNSET_KEY"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), "GW_TEST_UNSET_KEY"));

  ASSERT_EQ(setenv("GW_TEST_EMPTY_KEY", "", 1), 0);
  EXPECT_EQ(ResolveCredential(*ParseCredentialRef("env:GW_TEST_EMPTY_KEY")).status().code(),
            absl::StatusCode::kNotFound);
  unsetenv("GW_TEST_EMPTY_KEY");
}

TEST(ResolveCredentialTest, FromAFileWithTrailingNewlinesTrimmed) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  GW_ASSERT_OK(testing::WriteFile(dir.Path("key"), "sk-from-file\r\n\n"));
  absl::StatusOr<std::string> secret =
      ResolveCredential(*ParseCredentialRef("file:" + dir.Path("key")));
  GW_ASSERT_OK(secret);
  EXPECT_EQ(*secret, "sk-from-file");
}

TEST(ResolveCredentialTest, MissingOrEmptyFileIsNotFoundWithoutContents) {
  GW_ASSERT_OK_AND_ASSIGN(testing::TempDir dir, testing::TempDir::Create());
  EXPECT_EQ(ResolveCredential(*ParseCredentialRef("file:" + dir.Path("absent"))).status().code(),
            absl::StatusCode::kNotFound);
  GW_ASSERT_OK(testing::WriteFile(dir.Path("empty"), "\n"));
  absl::StatusOr<std::string> empty =
      ResolveCredential(*ParseCredentialRef("file:" + dir.Path("empty")));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace gw
