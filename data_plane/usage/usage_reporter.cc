#include "data_plane/usage/usage_reporter.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/thread_role.h"
#include "data_plane/config/control_plane_channel.h"
#include "gateway/usage/v1/usage.grpc.pb.h"
#include "grpcpp/support/sync_stream.h"
#include "spdlog/spdlog.h"

namespace gw::dp {
namespace {

using gateway::usage::v1::UsageAck;
using gateway::usage::v1::UsageBatchBytes;
using gateway::usage::v1::UsageRecord;
using UsageStream = grpc::ClientReaderWriter<UsageBatchBytes, UsageAck>;

// The generated stub's method, spelled from the service's name; RpcMethod keeps the pointer.
const char* ReportUsageMethod() {
  static const std::string method =
      absl::StrCat("/", gateway::usage::v1::UsageReporting::service_full_name(), "/ReportUsage");
  return method.c_str();
}

std::shared_ptr<grpc::Channel> MakeChannel(const UsageReporterOptions& options) {
  return MakeControlPlaneChannel({.address = options.control_plane,
                                  .initial_backoff = options.initial_backoff,
                                  .max_backoff = options.max_backoff,
                                  .keepalive_time = options.keepalive_time,
                                  .keepalive_timeout = options.keepalive_timeout});
}

bool IsPowerOfTwo(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

}  // namespace

UsageReporter::UsageReporter(UsageReporterOptions options, UsageSpool* spool)
    : options_(std::move(options)),
      spool_(spool),
      channel_(MakeChannel(options_)),
      report_usage_(ReportUsageMethod(), grpc::internal::RpcMethod::BIDI_STREAMING, channel_) {}

UsageReporter::~UsageReporter() { Stop(); }

void UsageReporter::Start() {
  writer_ = std::thread([this] {
    SetThreadRole("gw-usage-spool", ThreadPriority::kBackground);
    WriterLoop();
  });
  sender_ = std::thread([this] {
    SetThreadRole("gw-usage-send", ThreadPriority::kBackground);
    SenderLoop();
  });
}

void UsageReporter::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  changed_.notify_all();
  spool_->WakeWaiters();  // A sender gathering a batch.
  if (sender_.joinable()) sender_.join();
  {
    std::lock_guard lock(mu_);
    writer_stopping_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();
  // Never started, or records submitted after the writer left: spool them too.
  std::vector<std::string> left;
  {
    std::lock_guard lock(mu_);
    left.swap(queue_);
  }
  if (absl::Status status = spool_->Append(std::move(left)); !status.ok()) {
    refused_.fetch_add(static_cast<int64_t>(left.size()), std::memory_order_relaxed);
    spdlog::error("usage records not spooled at stop: {}", status.ToString());
  }
  connected_.store(false, std::memory_order_release);
}

bool UsageReporter::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

void UsageReporter::NotifyProgress() {
  // Under the lock so that a Flush between its check and its wait cannot miss it.
  std::lock_guard lock(mu_);
  changed_.notify_all();
}

bool UsageReporter::Submit(const UsageRecord& record) {
  // Serialized here, once: from now on the record is bytes, spooled and sent as they are.
  std::string payload = record.SerializeAsString();
  {
    std::lock_guard lock(mu_);
    if (queue_.size() < options_.max_queued_records) {
      queue_.push_back(std::move(payload));
      // Only an idle writer needs waking; one gathering records takes this one along.
      if (queue_.size() == 1 && writer_idle_) changed_.notify_all();
      return true;
    }
  }
  const int64_t refused = refused_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (IsPowerOfTwo(refused)) {
    spdlog::error("usage queue full ({} records): {} usage records refused so far",
                  options_.max_queued_records, refused);
  }
  return false;
}

void UsageReporter::WriterLoop() {
  std::vector<std::string> batch;
  while (true) {
    {
      std::unique_lock lock(mu_);
      writer_idle_ = true;
      changed_.wait(lock, [this] { return !queue_.empty() || writer_stopping_; });
      writer_idle_ = false;
      if (queue_.empty()) return;  // Stopping with nothing left to spool.
      // Group commit: gather what arrives during the interval into one write and one sync.
      changed_.wait_for(lock, absl::ToChronoNanoseconds(options_.spool_commit_interval), [this] {
        return writer_stopping_ || flushing_.load(std::memory_order_acquire);
      });
      batch.swap(queue_);
      appending_ = true;
    }
    // Group commit: everything queued while the previous fsync ran goes in one Append.
    const absl::Status status = spool_->Append(std::move(batch));
    if (!status.ok()) {
      const int64_t before = refused_.fetch_add(static_cast<int64_t>(batch.size()));
      spdlog::error("usage records not spooled ({} refused so far): {}",
                    before + static_cast<int64_t>(batch.size()), status.ToString());
    }
    batch.clear();
    std::lock_guard lock(mu_);
    appending_ = false;
    changed_.notify_all();
  }
}

bool UsageReporter::SleepUnlessStopped(absl::Duration delay) {
  std::unique_lock lock(mu_);
  return !changed_.wait_for(lock, absl::ToChronoNanoseconds(delay), [this] { return stopping_; });
}

bool UsageReporter::WaitForChannel() {
  bool logged = false;
  while (!stopping()) {
    if (channel_->WaitForConnected(std::chrono::system_clock::now() +
                                   std::chrono::milliseconds(200))) {
      return true;
    }
    if (!logged) {
      spdlog::warn("usage reporting: control plane {} unreachable; records stay spooled",
                   options_.control_plane);
      logged = true;
    }
  }
  return false;
}

void UsageReporter::SenderLoop() {
  std::mt19937_64 random(std::random_device{}());
  absl::Duration backoff = options_.initial_backoff;
  while (WaitForChannel()) {
    if (RunStream()) backoff = options_.initial_backoff;
    connected_.store(false, std::memory_order_release);
    if (retry_now_) {
      retry_now_ = false;
      continue;
    }
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const absl::Duration delay = backoff * jitter(random);
    backoff = std::min(backoff * 2, options_.max_backoff);
    if (!SleepUnlessStopped(delay)) return;
  }
}

std::vector<SpooledRecord> UsageReporter::NextBatch() {
  while (!spool_->WaitForPendingCount(1, absl::Now() + absl::Milliseconds(100), spool_->wakes())) {
    if (stopping()) return {};
  }
  // Sleeps until the batch is full or has lingered, through the group commits that do not fill
  // it (each wake-up would take the serving core from a request). Flush and Stop set their flag,
  // then wake it; the wake count is read before the flags, so a wake-up in between ends the wait.
  const absl::Time send_by = absl::Now() + options_.linger;
  while (true) {
    const uint64_t wakes = spool_->wakes();
    if (spool_->pending_count() >= options_.max_batch_records ||
        flushing_.load(std::memory_order_acquire) || stopping() || absl::Now() >= send_by) {
      break;
    }
    spool_->WaitForPendingCount(options_.max_batch_records, send_by, wakes);
  }
  if (stopping()) return {};
  std::vector<SpooledRecord> batch = spool_->Pending(0, BatchLimit(spool_->pending_count()));
  if (!batch.empty() && batch.front().sequence <= isolate_up_to_) batch.resize(1);
  return batch;
}

size_t UsageReporter::BatchLimit(size_t waiting) const {
  return waiting > options_.max_batch_records
             ? std::max(options_.max_batch_records, options_.backlog_batch_records)
             : options_.max_batch_records;
}

std::vector<SpooledRecord> UsageReporter::ReadyBatchAfter(uint64_t after,
                                                          size_t in_flight_records) const {
  // Records being isolated after a refusal go one stream round trip at a time.
  if (after < isolate_up_to_) return {};
  const size_t pending = spool_->pending_count();
  const size_t waiting = pending > in_flight_records ? pending - in_flight_records : 0;
  if (waiting < options_.max_batch_records) return {};
  std::vector<SpooledRecord> batch = spool_->Pending(after, BatchLimit(waiting));
  if (batch.size() < options_.max_batch_records) return {};
  return batch;
}

bool UsageReporter::RunStream() {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", options_.worker_token));
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    active_context_ = &context;
  }
  const std::unique_ptr<UsageStream> stream(
      grpc::internal::ClientReaderWriterFactory<UsageBatchBytes, UsageAck>::Create(
          channel_.get(), report_usage_, &context));
  bool acknowledged_any = false;
  // Batches sent and not yet acknowledged, oldest first; acks come in this order. The records
  // themselves stay in the spool until acknowledged.
  struct SentBatch {
    uint64_t batch_id;
    uint64_t first_sequence;
    uint64_t last_sequence;
    size_t records;
  };
  std::deque<SentBatch> in_flight;
  size_t in_flight_records = 0;
  const auto send = [&](std::vector<SpooledRecord> records) {
    UsageBatchBytes message;
    message.set_batch_id(next_batch_id_++);
    message.set_worker_id(options_.worker_id);
    message.mutable_records()->Reserve(static_cast<int>(records.size()));
    for (SpooledRecord& spooled : records) message.add_records(std::move(spooled.payload));
    in_flight_records += records.size();
    in_flight.push_back(SentBatch{message.batch_id(), records.front().sequence,
                                  records.back().sequence, records.size()});
    return stream->Write(message);
  };
  while (true) {
    if (in_flight.empty()) {
      std::vector<SpooledRecord> batch = NextBatch();
      if (batch.empty()) {
        context.TryCancel();
        break;
      }
      if (!send(std::move(batch))) break;
    }
    bool written = true;
    while (written && in_flight.size() < std::max<size_t>(1, options_.max_batches_in_flight)) {
      std::vector<SpooledRecord> more =
          ReadyBatchAfter(in_flight.back().last_sequence, in_flight_records);
      if (more.empty()) break;
      written = send(std::move(more));
    }
    UsageAck ack;
    if (!written || !stream->Read(&ack)) break;
    if (ack.batch_id() != in_flight.front().batch_id) {
      spdlog::error("usage reporting: ack for batch {} while waiting for batch {}; reconnecting",
                    ack.batch_id(), in_flight.front().batch_id);
      context.TryCancel();
      in_flight.clear();
      break;
    }
    connected_.store(true, std::memory_order_release);
    acknowledged_any = true;
    if (absl::Status status = spool_->Acknowledge(in_flight.front().last_sequence); !status.ok()) {
      spdlog::error("usage spool: {}", status.ToString());
    }
    in_flight_records -= in_flight.front().records;
    in_flight.pop_front();
    NotifyProgress();
  }
  // A refusal ends the stream right after the acks of the batches before it: the refused batch
  // is the oldest one not acknowledged.
  std::optional<SentBatch> refused;
  if (!in_flight.empty()) refused = in_flight.front();
  const grpc::Status status = stream->Finish();
  {
    std::lock_guard lock(mu_);
    active_context_ = nullptr;
  }
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT && refused) {
    // The whole batch was refused for one record: resend one by one to find it, and set that
    // one aside so that it can never block the spool.
    retry_now_ = true;
    if (refused->records > 1) {
      isolate_up_to_ = refused->last_sequence;
    } else {
      retry_now_ = SetAside(refused->first_sequence, status.error_message());
    }
  } else if (!status.ok() && !stopping()) {
    spdlog::warn("usage reporting stream ended: {} {}", static_cast<int>(status.error_code()),
                 status.error_message());
  }
  return acknowledged_any;
}

bool UsageReporter::SetAside(uint64_t sequence, absl::string_view reason) {
  const std::vector<SpooledRecord> refused = spool_->Pending(sequence - 1, 1);
  if (refused.empty() || refused[0].sequence != sequence) return false;
  if (absl::Status set_aside = spool_->SetAside(refused[0], reason); !set_aside.ok()) {
    spdlog::error("usage spool: {}", set_aside.ToString());
    return false;
  }
  set_aside_.fetch_add(1, std::memory_order_relaxed);
  if (absl::Status acked = spool_->Acknowledge(sequence); !acked.ok()) {
    spdlog::error("usage spool: {}", acked.ToString());
  }
  NotifyProgress();
  return true;
}

absl::Status UsageReporter::Flush(absl::Time deadline) {
  flushing_.store(true, std::memory_order_release);
  spool_->WakeWaiters();  // A sender gathering a batch sends it now.
  const auto chrono_deadline = absl::ToChronoTime(deadline);
  std::unique_lock lock(mu_);
  changed_.notify_all();  // A writer gathering records spools them now.
  const bool spooled =
      changed_.wait_until(lock, chrono_deadline, [this] { return queue_.empty() && !appending_; });
  const uint64_t target = spool_->last_sequence();
  const auto delivered = [&] {
    const std::vector<SpooledRecord> oldest = spool_->Pending(0, 1);
    return oldest.empty() || oldest.front().sequence > target;
  };
  const bool acked = spooled && changed_.wait_until(lock, chrono_deadline, delivered);
  flushing_.store(false, std::memory_order_release);
  if (acked) return absl::OkStatus();
  return absl::DeadlineExceededError(absl::StrCat("usage flush: ", spool_->pending_count(),
                                                  " records not acknowledged in time; kept in the "
                                                  "spool for the next start"));
}

}  // namespace gw::dp
