#!/usr/bin/env bash
# How much of the hashicorp/aws provider's schema terrane's types accept:
# per type, the non-deprecated top-level arguments and nested block types
# Terraform has, how many terrane has, and which are missing; then the
# totals. Also lists where the two disagree about an argument terrane has
# (type, required/optional/computed). Reads `terraform providers schema
# -json` offline, with the provider from a local filesystem mirror
# (TERRANE_TF_PLUGIN_MIRROR, default /opt/tf-plugins), and `terrane types
# --json` from the binary at TERRANE_BIN (default target/debug/terrane).
#   scripts/schema-coverage.sh            # the report
#   scripts/schema-coverage.sh --json     # the same, as JSON (for tests)
# Needs terraform and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
terrane="${TERRANE_BIN:-${CARGO_TARGET_DIR:-target}/debug/terrane}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
. scripts/lib/provider-schema.sh
provider_schema "$work"
"$terrane" types --json > "$work/terrane.json"
python3 - "$work" "${1:-}" <<'PY'
import json, sys
work, mode = sys.argv[1], sys.argv[2]
provider = json.load(open(f"{work}/schema.json"))["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
ours = json.load(open(f"{work}/terrane.json"))

def tf_type(t):
    if isinstance(t, str):
        return "string" if t == "string" else t
    kind, inner = t[0], t[1]
    if kind in ("list", "set", "map"):
        return f"{kind}({tf_type(inner)})"
    return "object"

def tf_parts(block, prefix=""):
    """Arguments (settable attributes, with an object-typed one's keys as
    `name.key`) and block types, dotted, non-deprecated."""
    args, blocks = {}, []
    for name, attr in block.get("attributes", {}).items():
        # `id` and `tags_all` are in the schema as optional, but nobody sets them.
        if attr.get("deprecated") or (not prefix and name in ("id", "tags_all")):
            continue
        if attr.get("required") or attr.get("optional"):
            presence = "required" if attr.get("required") else ("optional, computed" if attr.get("computed") else "optional")
            args[prefix + name] = (tf_type(attr.get("type", "any")), presence)
            t = attr.get("type")
            # Attributes as blocks (`ingress`, `route`): objects in a set or list.
            if isinstance(t, list) and t[0] in ("list", "set") and isinstance(t[1], list) and t[1][0] == "object":
                # Their keys' types and optionality are not in the JSON schema
                # as written in a configuration: only the names are compared.
                for key in t[1][1]:
                    args[f"{prefix}{name}.{key}"] = (None, None)
    for name, nested in block.get("block_types", {}).items():
        if nested["block"].get("deprecated"):
            continue
        blocks.append(prefix + name)
        a, b = tf_parts(nested["block"], prefix + name + ".")
        args.update(a)
        blocks.extend(b)
    return args, blocks

def every_name(block, prefix=""):
    """Every attribute and block name, dotted, deprecated ones included:
    terrane may accept what Terraform still takes but no longer counts."""
    names = {prefix + name for name in block.get("attributes", {})}
    for name, nested in block.get("block_types", {}).items():
        names.add(prefix + name)
        names |= every_name(nested["block"], prefix + name + ".")
    return names

report = {"types": {}, "totals": {}}
totals = {"top_arguments": [0, 0], "blocks": [0, 0]}
for doc in ours:
    kind = "resource_schemas" if doc["kind"] == "resource" else "data_source_schemas"
    schema = provider[kind].get(doc["name"])
    if schema is None:
        continue  # terrane's own types (random_*, time_sleep...) are not the aws provider's
    tf_args, tf_blocks = tf_parts(schema["block"])
    mine = {a["name"]: a for a in doc["arguments"]}
    settable = {n for n, a in mine.items() if a["type"] not in ("block", "block set") and a["presence"] != "computed"}
    # A data source may select by `id` (aws_vpc): compared where terrane takes it.
    tf_id = schema["block"].get("attributes", {}).get("id", {})
    if doc["kind"] != "resource" and "id" in settable and tf_id.get("optional"):
        tf_args["id"] = ("string", "optional, computed")
    my_blocks = {n for n, a in mine.items() if a["type"] in ("block", "block set")}
    top = [n for n in tf_args if "." not in n]
    has_top = [n for n in top if n in settable or n in my_blocks]
    # Block types at the top level, as the issue counts them; nested ones
    # (WAF's statements nest hundreds deep) are not counted.
    tf_blocks = [b for b in tf_blocks if "." not in b]
    has_blocks = [b for b in tf_blocks if b in my_blocks]
    disagreements = []
    for name in sorted(settable & set(tf_args)):
        tf_ty, tf_presence = tf_args[name]
        if tf_ty is None:
            continue
        my = mine[name]
        if my["type"] != tf_ty:
            disagreements.append(f"{name}: type {my['type']} (terraform: {tf_ty})")
        if (tf_presence == "required") != (my["presence"] == "required"):
            disagreements.append(f"{name}: {my['presence']} (terraform: {tf_presence})")
    known = every_name(schema["block"])
    invented = sorted(n for n in settable if n not in tf_args and n not in known)
    # A data source may share its resource's name (aws_vpc): keyed apart.
    key = doc["name"] if doc["kind"] == "resource" else "data." + doc["name"]
    report["types"][key] = {
        "kind": doc["kind"],
        "top_arguments": [len(has_top), len(top)],
        "blocks": [len(has_blocks), len(tf_blocks)],
        "missing_arguments": sorted(set(top) - set(has_top)),
        "missing_blocks": sorted(set(tf_blocks) - set(has_blocks)),
        "disagreements": disagreements,
        "not_in_terraform": invented,
    }
    totals["top_arguments"][0] += len(has_top); totals["top_arguments"][1] += len(top)
    totals["blocks"][0] += len(has_blocks); totals["blocks"][1] += len(tf_blocks)
report["totals"] = totals

if mode == "--json":
    print(json.dumps(report, indent=2))
    sys.exit(0)
pct = lambda p: f"{p[0]}/{p[1]} ({100 * p[0] // max(p[1], 1)}%)"
for name, t in sorted(report["types"].items()):
    print(f"{t['kind']} {name.removeprefix('data.')}: arguments {pct(t['top_arguments'])}, blocks {pct(t['blocks'])}")
    if t["missing_arguments"]:
        print("  missing arguments: " + ", ".join(t["missing_arguments"]))
    if t["missing_blocks"]:
        print("  missing blocks: " + ", ".join(t["missing_blocks"]))
    for d in t["disagreements"]:
        print("  differs: " + d)
    if t["not_in_terraform"]:
        print("  not in terraform: " + ", ".join(t["not_in_terraform"]))
print(f"\ntotal: arguments {pct(totals['top_arguments'])}, blocks {pct(totals['blocks'])}")
PY
