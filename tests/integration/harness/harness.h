// Everything integration tests use to run the real binaries: processes with logs, one-shot
// commands, temp dirs, polling with deadlines, binary paths and Status assertions.
//   #include "tests/integration/harness/harness.h"  // then: using namespace gw::testing;
#pragma once

#include "tests/integration/harness/binaries.h"
#include "tests/integration/harness/poll.h"
#include "tests/integration/harness/process.h"
#include "tests/integration/harness/run_command.h"
#include "tests/integration/harness/spawn.h"
#include "tests/integration/harness/status_testing.h"
#include "tests/integration/harness/temp_dir.h"
