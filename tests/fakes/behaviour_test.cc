#include "tests/fakes/behaviour.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"
#include "tests/fakes/behaviour_store.h"

namespace gw::testing {
namespace {

boost::json::object Obj(const char* text) { return boost::json::parse(text).as_object(); }

TEST(ApplyBehaviourJson, SetsTheNamedFields) {
  Behaviour b;
  const absl::Status s = ApplyBehaviourJson(
      Obj(R"({"status": 503, "first_byte_delay_ms": 200, "chunks": 7, "chunk_interval_ms": 50,
              "reset_after_chunks": 3, "stall_after_chunks": 2, "completion_tokens": 250,
              "content": "hi", "cached_tokens": 4, "truncate_body": true, "stall": true,
              "retry_after_s": 9, "error_message": "m", "error_type": "t", "error_code": "c",
              "embedding_dimensions": 16})"),
      b);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(b.status, 503);
  EXPECT_EQ(b.first_byte_delay_ms, 200);
  EXPECT_EQ(b.chunks, 7);
  EXPECT_EQ(b.chunk_interval_ms, 50);
  EXPECT_EQ(b.reset_after_chunks, 3);
  EXPECT_EQ(b.stall_after_chunks, 2);
  EXPECT_EQ(b.completion_tokens, 250);
  EXPECT_EQ(b.content, "hi");
  EXPECT_EQ(b.cached_tokens, 4);
  EXPECT_TRUE(b.truncate_body);
  EXPECT_TRUE(b.stall);
  EXPECT_EQ(b.retry_after_s, 9);
  EXPECT_EQ(b.error_message, "m");
  EXPECT_EQ(b.embedding_dimensions, 16);

  ASSERT_TRUE(ApplyBehaviourJson(Obj(R"({"content": null, "reset_after_chunks": null})"), b).ok());
  EXPECT_FALSE(b.content.has_value());
  EXPECT_FALSE(b.reset_after_chunks.has_value());
}

TEST(ApplyBehaviourJson, RejectsUnknownFieldsAndBadValues) {
  Behaviour b;
  EXPECT_EQ(ApplyBehaviourJson(Obj(R"({"stauts": 500})"), b).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ApplyBehaviourJson(Obj(R"({"status": 99})"), b).ok());
  EXPECT_FALSE(ApplyBehaviourJson(Obj(R"({"status": 600})"), b).ok());
  EXPECT_FALSE(ApplyBehaviourJson(Obj(R"({"chunks": -1})"), b).ok());
  EXPECT_FALSE(ApplyBehaviourJson(Obj(R"({"stall": 1})"), b).ok());
  EXPECT_FALSE(ApplyBehaviourJson(Obj(R"({"content": 5})"), b).ok());
}

TEST(BehaviourStore, CountedOverrideRevertsAfterItsUses) {
  Behaviour startup;
  startup.status = 200;
  BehaviourStore store(startup);
  EXPECT_EQ(store.ForNextRequest()->status, 200);

  Behaviour failing;
  failing.status = 500;
  store.Set(failing, 2);
  EXPECT_EQ(store.ForNextRequest()->status, 500);
  EXPECT_EQ(store.ForNextRequest()->status, 500);
  EXPECT_EQ(store.ForNextRequest()->status, 200);

  store.Set(failing, 0);
  EXPECT_EQ(store.ForNextRequest()->status, 500);
  EXPECT_EQ(store.ForNextRequest()->status, 500);
  store.Reset();
  EXPECT_EQ(store.ForNextRequest()->status, 200);
}

}  // namespace
}  // namespace gw::testing
