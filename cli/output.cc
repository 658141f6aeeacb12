#include "cli/output.h"

#include <algorithm>

#include "boost/json/serialize.hpp"

namespace gw::cli {
namespace {

void AppendPadded(std::string& out, const std::string& cell, size_t width, bool last) {
  out += cell;
  if (!last) out.append(width - cell.size() + 2, ' ');
}

void WriteJson(const boost::json::value& value, int depth, std::string& out) {
  const std::string indent(static_cast<size_t>(depth + 1) * 2, ' ');
  const std::string closing_indent(static_cast<size_t>(depth) * 2, ' ');
  if (value.is_object()) {
    const boost::json::object& object = value.get_object();
    if (object.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& [key, member] : object) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      out += boost::json::serialize(boost::json::string_view(key));
      out += ": ";
      WriteJson(member, depth + 1, out);
    }
    out += "\n" + closing_indent + "}";
  } else if (value.is_array()) {
    const boost::json::array& array = value.get_array();
    if (array.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& element : array) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      WriteJson(element, depth + 1, out);
    }
    out += "\n" + closing_indent + "]";
  } else {
    out += boost::json::serialize(value);
  }
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths;
  for (const auto& header : headers_) widths.push_back(header.size());
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  auto append_row = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      AppendPadded(out, row[i], widths[i], i + 1 == row.size());
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  };
  append_row(headers_);
  for (const auto& row : rows_) append_row(row);
  return out;
}

std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, label.size() + 1);
  std::string out;
  for (const auto& [label, value] : fields) {
    out += label + ":";
    out.append(width - label.size() - 1 + 2, ' ');
    out += value;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  return out;
}

std::string JsonToText(const boost::json::value& value) {
  std::string out;
  WriteJson(value, 0, out);
  out += '\n';
  return out;
}

}  // namespace gw::cli
