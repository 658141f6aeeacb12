# shellcheck shell=bash
# Shared start of every script: strict mode, cd to the repository root, load the helpers.
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

set -euo pipefail
GW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$GW_ROOT"
# shellcheck source=scripts/lib/deps.sh
source "$GW_ROOT/scripts/lib/deps.sh"
# shellcheck source=scripts/lib/build.sh
source "$GW_ROOT/scripts/lib/build.sh"
