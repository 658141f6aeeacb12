// Runs the built gwctl binary as a child process and captures its exit code and output.
//   GwctlResult r = RunGwctl({"--server", addr, "team", "list"});  EXPECT_EQ(r.exit_code, 0);
#pragma once

#include <map>
#include <string>
#include <vector>

namespace gw::testing {

struct GwctlResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string stdout_text;
  std::string stderr_text;
};

// `env` replaces GWCTL_* variables of the test's own environment (which are dropped).
GwctlResult RunGwctl(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {});

// Lines of `text` without the empty ones.
std::vector<std::string> NonEmptyLines(const std::string& text);

}  // namespace gw::testing
