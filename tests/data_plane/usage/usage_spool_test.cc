#include "data_plane/usage/usage_spool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/usage/v1/usage.pb.h"
#include "gtest/gtest.h"
#include "poll_until.h"
#include "temp_dir.h"

namespace gw::dp {
namespace {

using gateway::usage::v1::UsageRecord;

UsageRecord Record(const std::string& id) {
  UsageRecord record;
  record.set_record_id(id);
  record.set_team("search");
  record.set_input_tokens(100);
  record.set_cost_pico_usd(1'234'567);
  return record;
}

// `count` serialized records with ids prefix0, prefix1, ...
std::vector<std::string> Records(const std::string& prefix, int count) {
  std::vector<std::string> records;
  for (int i = 0; i < count; ++i) {
    records.push_back(Record(absl::StrCat(prefix, i)).SerializeAsString());
  }
  return records;
}

std::vector<std::string> One(const std::string& id) { return {Record(id).SerializeAsString()}; }

std::vector<std::string> Ids(const std::vector<SpooledRecord>& records) {
  std::vector<std::string> ids;
  for (const SpooledRecord& spooled : records) {
    UsageRecord record;
    EXPECT_TRUE(record.ParseFromString(spooled.payload));
    ids.push_back(record.record_id());
  }
  return ids;
}

std::vector<std::string> SegmentFiles(const std::string& directory) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("segment-", 0) == 0) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class UsageSpoolTest : public ::testing::Test {
 protected:
  std::unique_ptr<UsageSpool> OpenSpool(int64_t max_bytes = int64_t{1} << 20,
                                        int64_t segment_bytes = int64_t{1} << 20) {
    auto spool = UsageSpool::Open({dir_, max_bytes, segment_bytes});
    EXPECT_TRUE(spool.ok()) << spool.status();
    return spool.ok() ? *std::move(spool) : nullptr;
  }

  gw::testing::TempDir temp_;
  std::string dir_ = temp_.path() + "/usage-spool";
};

TEST_F(UsageSpoolTest, AppendedRecordsArePendingInOrderWithIncreasingSequences) {
  auto spool = OpenSpool();
  ASSERT_TRUE(spool->Append(Records("a", 3)).ok());
  ASSERT_TRUE(spool->Append(Records("b", 2)).ok());
  const std::vector<SpooledRecord> pending = spool->Pending(0, 100);
  EXPECT_EQ(Ids(pending), (std::vector<std::string>{"a0", "a1", "a2", "b0", "b1"}));
  for (size_t i = 1; i < pending.size(); ++i) {
    EXPECT_LT(pending[i - 1].sequence, pending[i].sequence);
  }
  EXPECT_EQ(Ids(spool->Pending(pending[2].sequence, 1)), std::vector<std::string>{"b0"});
  // One call, one segment file: everything of it is on disk.
  EXPECT_EQ(SegmentFiles(dir_).size(), 1u);
  EXPECT_GT(std::filesystem::file_size(SegmentFiles(dir_)[0]), 5u * 16u);
}

TEST_F(UsageSpoolTest, RestartReplaysUnacknowledgedRecordsOnly) {
  uint64_t acked = 0;
  {
    auto spool = OpenSpool(int64_t{1} << 20, /*segment_bytes=*/1);  // One segment per Append.
    ASSERT_TRUE(spool->Append(Records("a", 2)).ok());
    ASSERT_TRUE(spool->Append(Records("b", 2)).ok());
    acked = spool->Pending(0, 2).back().sequence;
    ASSERT_TRUE(spool->Acknowledge(acked).ok());
  }
  auto reopened = OpenSpool();
  EXPECT_EQ(Ids(reopened->Pending(0, 100)), (std::vector<std::string>{"b0", "b1"}));
  // New records never reuse a sequence of a replayed one.
  ASSERT_TRUE(reopened->Append(One("c0")).ok());
  const std::vector<SpooledRecord> pending = reopened->Pending(0, 100);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_GT(pending[2].sequence, pending[1].sequence);
  EXPECT_GT(pending[0].sequence, acked);
}

TEST_F(UsageSpoolTest, EveryAppendThatReturnedSurvivesAKilledProcess) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No destructors, no close: as a worker killed right after Append returned.
    auto spool = UsageSpool::Open({dir_});
    if (!spool.ok() || !(*spool)->Append(Records("a", 2)).ok() ||
        !(*spool)->Append(Records("b", 1)).ok()) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(Ids(OpenSpool()->Pending(0, 100)), (std::vector<std::string>{"a0", "a1", "b0"}));
}

// The entry format on disk, written here with the reference bitwise CRC-32 (IEEE, reflected
// 0xEDB88320): a spool left by any earlier worker must still be read after an upgrade.
TEST_F(UsageSpoolTest, ReadsEntriesWrittenWithTheReferenceChecksum) {
  const auto crc32 = [](const std::string& bytes, uint32_t crc) {
    crc = ~crc;
    for (const unsigned char c : bytes) {
      crc ^= c;
      for (int k = 0; k < 8; ++k) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
    }
    return ~crc;
  };
  ASSERT_EQ(crc32("123456789", 0), 0xCBF43926u);  // The standard check value.
  std::string file;
  for (uint64_t sequence = 1; sequence <= 2; ++sequence) {
    const std::string payload = Record(absl::StrCat("old", sequence)).SerializeAsString();
    const std::string sequence_bytes(reinterpret_cast<const char*>(&sequence), 8);
    const uint32_t length = static_cast<uint32_t>(payload.size());
    const uint32_t crc = crc32(payload, crc32(sequence_bytes, 0));
    file.append(reinterpret_cast<const char*>(&length), 4);
    file.append(reinterpret_cast<const char*>(&crc), 4);
    file.append(sequence_bytes);
    file.append(payload);
  }
  std::filesystem::create_directories(dir_);
  FILE* f = std::fopen((dir_ + "/segment-00000000000000000001.log").c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(file.data(), 1, file.size(), f), file.size());
  std::fclose(f);
  auto spool = OpenSpool();
  EXPECT_EQ(Ids(spool->Pending(0, 100)), (std::vector<std::string>{"old1", "old2"}));
  // And what this spool writes carries the reference checksum.
  ASSERT_TRUE(spool->Append(One("new3")).ok());
  spool.reset();
  const std::vector<std::string> files = SegmentFiles(dir_);
  ASSERT_EQ(files.size(), 2u);  // Appends always start a fresh segment.
  std::ifstream in(files[1], std::ios::binary);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(written.size(), 16u);
  uint32_t length = 0;
  uint32_t crc = 0;
  std::memcpy(&length, written.data(), 4);
  std::memcpy(&crc, written.data() + 4, 4);
  ASSERT_EQ(written.size(), 16u + length);
  EXPECT_EQ(crc, crc32(written.substr(16), crc32(written.substr(8, 8), 0)));
}

TEST_F(UsageSpoolTest, TornTailIsCutOffAndEveryCompleteRecordRecovered) {
  {
    auto spool = OpenSpool();
    ASSERT_TRUE(spool->Append(Records("a", 3)).ok());
  }
  const std::vector<std::string> files = SegmentFiles(dir_);
  ASSERT_EQ(files.size(), 1u);
  const auto size = std::filesystem::file_size(files[0]);
  // A crash in the middle of writing the third record.
  std::filesystem::resize_file(files[0], size - 7);
  auto reopened = OpenSpool();
  EXPECT_EQ(Ids(reopened->Pending(0, 100)), (std::vector<std::string>{"a0", "a1"}));
  EXPECT_LT(std::filesystem::file_size(files[0]), size - 7) << "the torn tail stays on disk";
  // Appending after recovery works and a second restart sees everything.
  ASSERT_TRUE(reopened->Append(One("b0")).ok());
  reopened.reset();
  EXPECT_EQ(Ids(OpenSpool()->Pending(0, 100)), (std::vector<std::string>{"a0", "a1", "b0"}));
}

TEST_F(UsageSpoolTest, CorruptRecordEndsRecoveryOfItsSegment) {
  {
    auto spool = OpenSpool();
    ASSERT_TRUE(spool->Append(Records("a", 2)).ok());
  }
  const std::string file = SegmentFiles(dir_)[0];
  // Flip a byte in the last record's payload: its checksum no longer matches.
  const auto size = std::filesystem::file_size(file);
  FILE* f = std::fopen(file.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, static_cast<long>(size - 2), SEEK_SET);
  const int byte = std::fgetc(f);
  std::fseek(f, static_cast<long>(size - 2), SEEK_SET);
  std::fputc(byte ^ 0x5A, f);
  std::fclose(f);
  EXPECT_EQ(Ids(OpenSpool()->Pending(0, 100)), std::vector<std::string>{"a0"});
}

TEST_F(UsageSpoolTest, AcknowledgedSegmentsAreDeletedOnlyWhenFullyAcknowledged) {
  auto spool = OpenSpool(int64_t{1} << 20, /*segment_bytes=*/1);
  ASSERT_TRUE(spool->Append(Records("a", 2)).ok());
  ASSERT_TRUE(spool->Append(Records("b", 2)).ok());
  ASSERT_EQ(SegmentFiles(dir_).size(), 2u);
  const std::vector<SpooledRecord> pending = spool->Pending(0, 100);

  ASSERT_TRUE(spool->Acknowledge(pending[0].sequence).ok());  // Half of the first segment.
  EXPECT_EQ(SegmentFiles(dir_).size(), 2u);
  EXPECT_EQ(spool->pending_count(), 3u);

  ASSERT_TRUE(spool->Acknowledge(pending[2].sequence).ok());
  EXPECT_EQ(SegmentFiles(dir_).size(), 1u);

  ASSERT_TRUE(spool->Acknowledge(pending[3].sequence).ok());
  EXPECT_TRUE(SegmentFiles(dir_).empty());
  EXPECT_EQ(spool->pending_count(), 0u);
  EXPECT_EQ(spool->disk_bytes(), 0);
  // The spool goes on after its active segment was deleted.
  ASSERT_TRUE(spool->Append(One("c0")).ok());
  EXPECT_EQ(Ids(spool->Pending(pending[3].sequence, 10)), std::vector<std::string>{"c0"});
}

// A fully acknowledged segment is kept and written over by the next one; what it held before
// (acknowledged records, some still after the new entries) must never come back.
TEST_F(UsageSpoolTest, ARecycledSegmentsOldRecordsAreNeverReplayed) {
  {
    auto spool = OpenSpool(int64_t{1} << 20, /*segment_bytes=*/1);
    ASSERT_TRUE(spool->Append(Records("old", 3)).ok());
    ASSERT_TRUE(spool->Acknowledge(spool->last_sequence()).ok());
    EXPECT_TRUE(SegmentFiles(dir_).empty());
    ASSERT_TRUE(spool->Append(One("new0")).ok());  // Written over the first old record.
    const std::vector<std::string> files = SegmentFiles(dir_);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_GT(std::filesystem::file_size(files[0]), 2 * One("new0")[0].size())
        << "the new segment is the old one written over, old records still behind the new";
  }
  auto reopened = OpenSpool();
  EXPECT_EQ(Ids(reopened->Pending(0, 100)), std::vector<std::string>{"new0"});
  ASSERT_TRUE(reopened->Append(One("new1")).ok());
  reopened.reset();
  EXPECT_EQ(Ids(OpenSpool()->Pending(0, 100)), (std::vector<std::string>{"new0", "new1"}));
}

// A crash right after the spare was renamed to the next segment's name, before anything new was
// written to it: the file holds only old, acknowledged records.
TEST_F(UsageSpoolTest, ASpareRenamedBeforeItsFirstWriteReplaysNothing) {
  uint64_t last = 0;
  {
    auto spool = OpenSpool(int64_t{1} << 20, /*segment_bytes=*/1);
    ASSERT_TRUE(spool->Append(Records("old", 2)).ok());
    last = spool->last_sequence();
    ASSERT_TRUE(spool->Acknowledge(last).ok());
  }
  std::filesystem::rename(dir_ + "/spare-segment.bin",
                          absl::StrFormat("%s/segment-%020d.log", dir_, last + 1));
  auto reopened = OpenSpool();
  EXPECT_EQ(reopened->pending_count(), 0u);
  EXPECT_TRUE(SegmentFiles(dir_).empty());
  ASSERT_TRUE(reopened->Append(One("new0")).ok());
  reopened.reset();
  EXPECT_EQ(Ids(OpenSpool()->Pending(0, 100)), std::vector<std::string>{"new0"});
}

// Sequences start again at 1 after an empty spool, so a spare kept from an earlier run would
// hold old entries with the sequences new ones get: it is dropped, never written over.
TEST_F(UsageSpoolTest, ASpareFromAnEarlierRunIsNeverWrittenOver) {
  {
    auto spool = OpenSpool(int64_t{1} << 20, /*segment_bytes=*/1);
    ASSERT_TRUE(spool->Append(Records("old", 3)).ok());
    ASSERT_TRUE(spool->Acknowledge(spool->last_sequence()).ok());
  }
  {
    auto restarted = OpenSpool(int64_t{1} << 20, /*segment_bytes=*/1);
    ASSERT_TRUE(restarted->Append(One("new0")).ok());  // Sequence 1 again.
  }
  EXPECT_EQ(Ids(OpenSpool()->Pending(0, 100)), std::vector<std::string>{"new0"});
}

TEST_F(UsageSpoolTest, FullSpoolRefusesNewRecordsAndKeepsOldOnes) {
  auto spool = OpenSpool(/*max_bytes=*/400);
  ASSERT_TRUE(spool->Append(Records("a", 3)).ok());
  const absl::Status full = spool->Append(Records("b", 20));
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_EQ(spool->refused_records(), 20);
  EXPECT_EQ(Ids(spool->Pending(0, 100)), (std::vector<std::string>{"a0", "a1", "a2"}));
  // Room comes back once records are acknowledged.
  ASSERT_TRUE(spool->Acknowledge(spool->last_sequence()).ok());
  EXPECT_TRUE(spool->Append(Records("c", 3)).ok());
}

TEST_F(UsageSpoolTest, SetAsideKeepsTheRefusedRecordInRejectedLog) {
  auto spool = OpenSpool();
  ASSERT_TRUE(spool->Append(One("bad")).ok());
  const SpooledRecord bad = spool->Pending(0, 1)[0];
  ASSERT_TRUE(spool->SetAside(bad, "record_id too long").ok());
  ASSERT_TRUE(spool->Acknowledge(bad.sequence).ok());
  EXPECT_GT(std::filesystem::file_size(dir_ + "/rejected.log"), 16u);
  EXPECT_EQ(OpenSpool()->pending_count(), 0u);
}

TEST_F(UsageSpoolTest, EachRefusedRecordIsAddedToRejectedLogAfterTheEarlierOnes) {
  auto spool = OpenSpool();
  ASSERT_TRUE(spool->Append(One("bad1")).ok());
  ASSERT_TRUE(spool->Append(One("bad2")).ok());
  const std::vector<SpooledRecord> bad = spool->Pending(0, 2);
  ASSERT_EQ(bad.size(), 2u);
  ASSERT_TRUE(spool->SetAside(bad[0], "first").ok());
  const uintmax_t one = std::filesystem::file_size(dir_ + "/rejected.log");
  ASSERT_TRUE(spool->SetAside(bad[1], "second").ok());
  EXPECT_EQ(std::filesystem::file_size(dir_ + "/rejected.log"), 2 * one);
}

TEST_F(UsageSpoolTest, WaitForPendingCountWakesOnAppend) {
  auto spool = OpenSpool();
  EXPECT_FALSE(spool->WaitForPendingCount(1, absl::Now() + absl::Milliseconds(20), spool->wakes()));
  std::thread writer([&] { EXPECT_TRUE(spool->Append(One("a0")).ok()); });
  EXPECT_TRUE(spool->WaitForPendingCount(1, absl::Now() + absl::Seconds(10), spool->wakes()));
  writer.join();
}

TEST_F(UsageSpoolTest, WaitForPendingCountWaitsThroughAppendsThatDoNotReachIt) {
  auto spool = OpenSpool();
  std::atomic<bool> returned = false;
  std::atomic<bool> result = false;
  std::thread waiter([&] {
    result = spool->WaitForPendingCount(3, absl::Now() + absl::Seconds(30), spool->wakes());
    returned = true;
  });
  ASSERT_TRUE(spool->Append(One("a0")).ok());
  ASSERT_TRUE(spool->Append(One("a1")).ok());
  // Two of three: still waiting (given time to return wrongly, which it would at once).
  EXPECT_FALSE(gw::testing::PollUntil([&] { return returned.load(); }, absl::Milliseconds(200)));
  ASSERT_TRUE(spool->Append(One("a2")).ok());
  EXPECT_TRUE(gw::testing::PollUntil([&] { return returned.load(); }, absl::Seconds(10)));
  waiter.join();
  EXPECT_TRUE(result);
}

TEST_F(UsageSpoolTest, WakeWaitersEndsAWaitBeforeItsCount) {
  auto spool = OpenSpool();
  ASSERT_TRUE(spool->Append(One("a0")).ok());
  const uint64_t wakes = spool->wakes();
  std::atomic<bool> returned = false;
  std::atomic<bool> result = true;
  const absl::Time started = absl::Now();
  std::thread waiter([&] {
    result = spool->WaitForPendingCount(500, absl::Now() + absl::Seconds(30), wakes);
    returned = true;
  });
  spool->WakeWaiters();  // Before or during the wait: either way it ends it.
  EXPECT_TRUE(gw::testing::PollUntil([&] { return returned.load(); }, absl::Seconds(10)));
  waiter.join();
  EXPECT_FALSE(result);  // Woken, not filled.
  EXPECT_LT(absl::Now() - started, absl::Seconds(10));
}

}  // namespace
}  // namespace gw::dp
