// Durable state: atomic writes, the framed snapshot file, the worker id, restoring at startup.
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "data_plane/config/snapshot_applier.h"
#include "data_plane/config/snapshot_file.h"
#include "data_plane/config/snapshot_store.h"
#include "data_plane/config/state_dir.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "temp_dir.h"
#include "test_snapshots.h"

namespace gw::dp {
namespace {
using ::gw::testing::AddKey;
using ::gw::testing::MakeSnapshot;
using ::gw::testing::Serialized;
using ::gw::testing::TempDir;

// Captures what the code under test logs.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

void WriteRaw(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(StateDir, WritesAtomicallyAndLeavesNoTempFiles) {
  TempDir dir;
  const std::string state = dir.path() + "/nested/state";
  ASSERT_TRUE(EnsureDirectory(state).ok());
  ASSERT_TRUE(WriteFileAtomically(state, "f", "first").ok());
  ASSERT_TRUE(WriteFileAtomically(state, "f", "second").ok());
  absl::StatusOr<std::string> read = ReadWholeFile(state + "/f");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "second");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(state)) {
    ++files;
    EXPECT_EQ(entry.path().filename(), "f");
  }
  EXPECT_EQ(files, 1);
  EXPECT_TRUE(absl::IsNotFound(ReadWholeFile(state + "/missing").status()));
}

TEST(StateDir, WorkerIdIsGeneratedOnceAndKept) {
  TempDir dir;
  absl::StatusOr<std::string> first = LoadOrCreateWorkerId(dir.path());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->rfind("wrk_", 0), 0u) << *first;
  absl::StatusOr<std::string> second = LoadOrCreateWorkerId(dir.path());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(SnapshotFile, RoundTripsTheExactBytes) {
  TempDir dir;
  auto proto = MakeSnapshot(4);
  AddKey(proto, "key_a", "gwk-a", "team-a");
  const std::string bytes = Serialized(proto);
  ASSERT_TRUE(PersistSnapshot(dir.path(), bytes).ok());
  absl::StatusOr<std::string> loaded = LoadPersistedSnapshot(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, bytes);
}

TEST(SnapshotFile, MissingIsNotFound) {
  TempDir dir;
  EXPECT_TRUE(absl::IsNotFound(LoadPersistedSnapshot(dir.path()).status()));
}

TEST(SnapshotFile, TruncatedCorruptOrForeignFilesAreDataLoss) {
  TempDir dir;
  const std::string path = dir.path() + "/" + std::string(kSnapshotFileName);
  ASSERT_TRUE(PersistSnapshot(dir.path(), Serialized(MakeSnapshot(4))).ok());
  const std::string good = *ReadWholeFile(path);

  WriteRaw(path, good.substr(0, good.size() - 10));  // Torn write.
  EXPECT_TRUE(absl::IsDataLoss(LoadPersistedSnapshot(dir.path()).status()));

  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 0x20;  // Bit rot in the payload.
  WriteRaw(path, flipped);
  EXPECT_TRUE(absl::IsDataLoss(LoadPersistedSnapshot(dir.path()).status()));

  WriteRaw(path, "");
  EXPECT_TRUE(absl::IsDataLoss(LoadPersistedSnapshot(dir.path()).status()));
  WriteRaw(path, Serialized(MakeSnapshot(4)));  // Unframed protobuf.
  EXPECT_TRUE(absl::IsDataLoss(LoadPersistedSnapshot(dir.path()).status()));
}

TEST(SnapshotApplierRestore, StartsFromThePersistedSnapshot) {
  TempDir dir;
  {
    SnapshotStore store;
    SnapshotApplier applier(&store, dir.path());
    auto proto = MakeSnapshot(9);
    AddKey(proto, "key_a", "gwk-a", "team-a");
    ASSERT_TRUE(applier.Apply(Serialized(proto)).ok());
    ASSERT_TRUE(applier.Persist(Serialized(proto)).ok());
  }
  SnapshotStore store;
  SnapshotApplier applier(&store, dir.path());
  EXPECT_EQ(applier.RestorePersisted(), 9);
  EXPECT_EQ(store.version(), 9);
  EXPECT_NE(store.Load()->FindKeyByDigest(Sha256("gwk-a")), nullptr);
}

TEST(SnapshotApplierRestore, IgnoresACorruptFileWithALogLine) {
  TempDir dir;
  ASSERT_TRUE(PersistSnapshot(dir.path(), Serialized(MakeSnapshot(9))).ok());
  const std::string path = dir.path() + "/" + std::string(kSnapshotFileName);
  const std::string good = *ReadWholeFile(path);
  WriteRaw(path, good.substr(0, good.size() / 2));

  LogCapture log;
  SnapshotStore store;
  SnapshotApplier applier(&store, dir.path());
  EXPECT_EQ(applier.RestorePersisted(), 0);
  EXPECT_EQ(store.Load(), nullptr);
  EXPECT_NE(log.text().find("ignoring the persisted snapshot"), std::string::npos) << log.text();
}

TEST(SnapshotApplierRestore, IgnoresAnIntactButInvalidSnapshot) {
  TempDir dir;
  auto unusable = MakeSnapshot(9);
  unusable.set_required_feature_level(kWorkerFeatureLevel + 1);  // Written by a newer worker.
  ASSERT_TRUE(PersistSnapshot(dir.path(), Serialized(unusable)).ok());
  LogCapture log;
  SnapshotStore store;
  SnapshotApplier applier(&store, dir.path());
  EXPECT_EQ(applier.RestorePersisted(), 0);
  EXPECT_EQ(store.version(), 0);
  EXPECT_NE(log.text().find("feature level"), std::string::npos) << log.text();
}

TEST(SnapshotApplierRestore, MissingFileIsSilent) {
  TempDir dir;
  LogCapture log;
  SnapshotStore store;
  SnapshotApplier applier(&store, dir.path());
  EXPECT_EQ(applier.RestorePersisted(), 0);
  EXPECT_EQ(log.text(), "");
}

}  // namespace
}  // namespace gw::dp
