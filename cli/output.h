// gwctl's two output forms: aligned text tables for people and JSON for scripts.
//   Table table({"NAME", "TIER"}); table.AddRow({"search", "premium"}); std::cout <<
//   table.Render();
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "boost/json/value.hpp"

namespace gw::cli {

enum class OutputFormat { kTable, kJson };

// Columns left-aligned, separated by two spaces, no trailing blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  // Missing cells print empty; extra cells are dropped.
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }

  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "label:  value" lines with the values aligned: how `get` shows one resource.
std::string RenderFields(const std::vector<std::pair<std::string, std::string>>& fields);

// Indented JSON with a trailing newline. Integers stay integers (int64 included).
std::string JsonToText(const boost::json::value& value);

}  // namespace gw::cli
