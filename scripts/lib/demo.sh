# shellcheck shell=bash
# The demo configuration scripts/run seeds: team `demo`, one provider (the local fake, or the real
# OpenAI when OPENAI_API_KEY is set), model gpt-4o-mini with its list price, and a demo key kept
# in a file. Needs GWCTL_SERVER and GWCTL_TOKEN exported and GW_GWCTL set to the gwctl binary.
#   gw_demo_provider_yaml fake http://127.0.0.1:8082/v1 >"$want"; gw_demo_seed "$var_dir" "$want"

GW_DEMO_TEAM=demo
GW_DEMO_MODEL=gpt-4o-mini

# Prints the provider, model and pricing sections for provider `fake` (BASE_URL, credential in
# GW_FAKE_PROVIDER_KEY) or `openai`. Prices: OpenAI's list prices of gpt-4o-mini per 1M tokens.
gw_demo_provider_yaml() {
  local provider="$1" base_url="${2:-}"
  echo "providers:"
  if [[ "$provider" == fake ]]; then
    cat <<YAML
  - name: fake
    type: openai-compatible
    base_url: $base_url
    credential_ref: env:GW_FAKE_PROVIDER_KEY
YAML
  else
    cat <<YAML
  - name: openai
    type: openai
    base_url: https://api.openai.com/v1
    credential_ref: env:OPENAI_API_KEY
YAML
  fi
  cat <<YAML
models:
  - name: $GW_DEMO_MODEL
    provider: $provider
pricing:
  - model: $GW_DEMO_MODEL
    input_usd_per_mtok: "0.15"
    cached_input_usd_per_mtok: "0.075"
    output_usd_per_mtok: "0.60"
YAML
}

# True when KEY_FILE holds a key that the control plane lists, unrevoked, for the demo team (a
# deleted database or a revoked key means seeding again).
gw_demo_key_valid() {
  local key_file="$1" key listed
  [[ -s "$key_file" ]] || return 1
  key=$(<"$key_file")
  listed=$("$GW_GWCTL" key list --team "$GW_DEMO_TEAM" -o json 2>/dev/null) || return 1
  # gwctl prints one field per line; look at the revoked_at that follows the key's prefix.
  [[ "$(awk -v prefix="\"prefix\": \"${key:0:12}\"" '
        index($0, prefix) { found = 1 }
        found && /"revoked_at":/ { print ($0 ~ /null/) ? "valid" : "revoked"; exit }
      ' <<<"$listed")" == valid ]]
}

# Applies a gateway YAML file, printing gwctl's change lines indented.
gw_demo_apply() {
  local output
  if ! output=$("$GW_GWCTL" apply -f "$1" 2>&1); then
    echo "gwctl apply -f $1 failed: $output" >&2
    return 1
  fi
  # shellcheck disable=SC2001  # indents every line, not one match
  sed 's/^/  /' <<<"$output"
}

# Seeds the demo configuration into VAR_DIR's control plane. PROVIDER_YAML is what
# gw_demo_provider_yaml printed for this run. The first run (or one whose demo key is gone from
# the control plane) applies the team and the provider sections and creates the key in
# VAR_DIR/demo-key (mode 600); later runs apply the provider sections again only when they differ
# from the last applied ones (VAR_DIR/demo-provider.yaml), so changes made with gwctl stay.
gw_demo_seed() {
  local var_dir="$1" provider_yaml="$2"
  local key_file="$var_dir/demo-key" applied="$var_dir/demo-provider.yaml"
  if ! gw_demo_key_valid "$key_file"; then
    echo "Seeding the demo configuration:"
    local seed="$var_dir/demo-seed.yaml"
    { printf 'teams:\n  - name: %s\n' "$GW_DEMO_TEAM"; cat "$provider_yaml"; } >"$seed"
    gw_demo_apply "$seed" || return 1
    rm -f "$seed"
    local created key
    if ! created=$("$GW_GWCTL" key create --team "$GW_DEMO_TEAM" --name demo -o json); then
      echo "gwctl key create failed." >&2
      return 1
    fi
    key=$(sed -n 's/^ *"key": *"\([^"]*\)".*/\1/p' <<<"$created")
    if [[ -z "$key" ]]; then
      echo "gwctl key create printed no key." >&2
      return 1
    fi
    local tmp
    tmp=$(mktemp "$key_file.XXXXXX")
    chmod 600 "$tmp"
    printf '%s' "$key" >"$tmp"
    mv "$tmp" "$key_file"
    echo "  key for team $GW_DEMO_TEAM: created, kept in $key_file"
  elif ! cmp -s "$provider_yaml" "$applied"; then
    echo "The demo provider changed; applying it:"
    gw_demo_apply "$provider_yaml" || return 1
    # The provider the model pointed at before (fake or openai) is no longer used by the demo.
    local previous
    previous=$(sed -n '2s/^  - name: //p' "$applied" 2>/dev/null || true)
    if [[ -n "$previous" && "$previous" != "$(sed -n '2s/^  - name: //p' "$provider_yaml")" ]]; then
      if "$GW_GWCTL" provider delete "$previous" >/dev/null 2>&1; then
        echo "  provider/$previous: deleted"
      fi
    fi
  fi
  cp "$provider_yaml" "$applied"
}
