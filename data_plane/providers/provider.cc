#include "data_plane/providers/provider.h"

namespace gw::dp {

UpstreamRequest RequestPlan::ToUpstreamRequest() const {
  UpstreamRequest request;
  request.endpoint = endpoint;
  request.method = "POST";
  request.path = path;
  request.headers = headers;
  request.body = body;
  request.streaming = stream;
  request.timeouts = timeouts;
  return request;
}

size_t RequestPlan::body_size() const {
  size_t size = 0;
  for (const absl::string_view piece : body) size += piece.size();
  return size;
}

}  // namespace gw::dp
