#!/usr/bin/env python3
"""How much of what maintainers list in gadget.yaml does `gadgetc build --update-metadata` bring back?

For every gadget folder under IG's gadgets/ that has an eBPF source and a gadget.yaml: copy it,
strike `datasources:` from the copy's gadget.yaml, run `gadgetc build --update-metadata` on the copy,
and compare. Go wasm modules are "built" by stub-go (an empty module: this machine has no network for
their modules; gadgetc reads the fields a module adds from its source, not from the module).

Reported per gadget and overall: the share of maintainer-listed fields (datasource + field path)
that come back, which do not, and whether any other top-level key of the original file was lost;
and, of the descriptions maintainers wrote (fields and data sources), how many the gadget's C comments
filled (gadgetc reads them with libclang when it loads) and how many with the same text.
Gadgets that do not build here are listed with the reason, never dropped silently. Each maintainer
file is also validated as it is (no update): it must pass; fields it lists that the data source will
not have are printed as the warnings gadgetc gives.

usage: metadata-recall.py [--gadgetc PATH] [--ig /tmp/ig] [--only a,b] [--json OUT] [--show-missing]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml


def maintainer_fields(doc):
    """{(datasource, field path)} listed under datasources.*.fields."""
    found = set()
    for source, body in ((doc or {}).get("datasources") or {}).items():
        for field in ((body or {}).get("fields") or {}):
            found.add((str(source), str(field)))
    return found


def descriptions(doc):
    """{(datasource, field path or None for the data source itself): description} a file writes."""
    found = {}
    for source, body in ((doc or {}).get("datasources") or {}).items():
        text = (((body or {}).get("annotations") or {}).get("description"))
        if text:
            found[(str(source), None)] = str(text)
        for field, entry in (((body or {}).get("fields") or {}).items()):
            text = (((entry or {}).get("annotations") or {}).get("description"))
            if text:
                found[(str(source), str(field))] = str(text)
    return found


def same_text(a, b):
    """Equal but for case, spacing and a final period."""
    norm = lambda text: " ".join(text.split()).rstrip(".").lower()
    return norm(a) == norm(b)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    parser = argparse.ArgumentParser()
    parser.add_argument("--gadgetc", default=os.path.join(repo, ".build/debug/gadgetc"))
    parser.add_argument("--ig", default="/tmp/ig")
    parser.add_argument("--only", default="")
    parser.add_argument("--json", default="")
    parser.add_argument("--show-missing", action="store_true")
    args = parser.parse_args()

    gadgets_dir = os.path.join(args.ig, "gadgets")
    include = os.path.join(args.ig, "include")
    only = [name for name in args.only.split(",") if name]
    scratch = tempfile.mkdtemp(prefix="metadata-recall-")
    rows, unbuilt, skipped = [], [], []
    total_listed = total_back = 0

    for name in sorted(os.listdir(gadgets_dir)):
        folder = os.path.join(gadgets_dir, name)
        if only and name not in only:
            continue
        metadata_path = os.path.join(folder, "gadget.yaml")
        if not os.path.isfile(metadata_path):
            continue
        build_yaml = {}
        if os.path.isfile(os.path.join(folder, "build.yaml")):
            with open(os.path.join(folder, "build.yaml")) as handle:
                build_yaml = yaml.safe_load(handle) or {}
        source = build_yaml.get("ebpfsource", "program.bpf.c")
        if not os.path.isfile(os.path.join(folder, source)):
            skipped.append((name, "no eBPF source (%s)" % source))
            continue
        with open(metadata_path) as handle:
            original = yaml.safe_load(handle) or {}
        listed = maintainer_fields(original)

        copy = os.path.join(scratch, name)
        shutil.copytree(folder, copy, symlinks=True)
        stripped = {key: value for key, value in original.items() if key != "datasources"}
        with open(os.path.join(copy, "gadget.yaml"), "w") as handle:
            yaml.safe_dump(stripped, handle, sort_keys=False)

        command = [args.gadgetc, "build", copy, "--update-metadata", "-I", include, "--arch", "amd64",
                   "--oci-layout", os.path.join(scratch, "oci-" + name)]
        environment = dict(os.environ, IG_SOURCE_PATH=args.ig, GADGETC_GO=os.path.join(here, "stub-go"),
                           REAL_GO=shutil.which("go") or "go")
        run = subprocess.run(command, capture_output=True, text=True, env=environment)
        with open(os.path.join(copy, "gadget.yaml")) as handle:
            updated = yaml.safe_load(handle) or {}
        came_back = listed & maintainer_fields(updated)
        # Descriptions the C comments gave (anything but ig's "TODO" placeholder), against the maintainers'.
        theirs, ours = descriptions(original), descriptions(updated)
        filled = {key: text for key, text in ours.items() if not text.startswith("TODO")}
        if run.returncode != 0 and updated.get("datasources") is None:
            reason = (run.stderr.strip() or run.stdout.strip()).splitlines()
            unbuilt.append((name, len(listed), next((line for line in reason if "error" in line), reason[-1] if reason else "?")))
            continue
        # The maintainers' own file must still pass validation (a stale field is a warning, not an error).
        shutil.copy(metadata_path, os.path.join(copy, "gadget.yaml"))
        check = subprocess.run(command[:3] + command[4:], capture_output=True, text=True, env=environment)
        validation = "passes" if check.returncode == 0 else "FAILS: " + (check.stderr.strip().splitlines() or ["?"])[-1]
        warnings = [line.split(": ", 2)[-1] for line in (check.stdout + check.stderr).splitlines() if "has no field" in line]
        lost = sorted(key for key in original if key != "datasources" and key not in updated)
        total_listed += len(listed)
        total_back += len(came_back)
        rows.append({
            "gadget": name, "listed": len(listed), "back": len(came_back),
            "missing": sorted("%s.%s" % pair for pair in listed - came_back),
            "lostKeys": lost, "exit": run.returncode, "validation": validation, "warnings": warnings,
            "described": len(theirs), "filled": sum(key in filled for key in theirs),
            "reproduced": sum(key in filled and same_text(filled[key], text) for key, text in theirs.items()),
            "fromComments": len(filled),
        })

    width = max([len(row["gadget"]) for row in rows] + [10])
    for row in rows:
        share = "%5.1f %%" % (100.0 * row["back"] / row["listed"]) if row["listed"] else "   – "
        extra = ""
        if row["lostKeys"]:
            extra += "  LOST KEYS: " + ", ".join(row["lostKeys"])
        if row["exit"] != 0:
            extra += "  (build exit %d)" % row["exit"]
        print("%-*s %3d/%-3d %s%s" % (width, row["gadget"], row["back"], row["listed"], share, extra))
        if row["validation"] != "passes":
            extra += "  validation of the maintainers' file " + row["validation"]
        if args.show_missing and row["missing"]:
            print("%-*s   missing: %s" % (width, "", ", ".join(row["missing"])))
        for warning in row["warnings"]:
            print("%-*s   warning: %s" % (width, "", warning))
    for name, listed, reason in unbuilt:
        print("%-*s not built here (%d fields listed): %s" % (width, name, listed, reason))
    for name, reason in skipped:
        print("%-*s skipped: %s" % (width, name, reason))
    overall = 100.0 * total_back / total_listed if total_listed else 0.0
    print("overall: %d of %d maintainer-listed fields came back (%.1f %%) in %d gadgets built; %d not built"
          % (total_back, total_listed, overall, len(rows), len(unbuilt)))
    described = sum(row["described"] for row in rows)
    filled = sum(row["filled"] for row in rows)
    reproduced = sum(row["reproduced"] for row in rows)
    print("descriptions: maintainers wrote %d (fields and data sources); C comments filled %d of them (%.1f %%), "
          "the same text in %d (%.1f %%); %d descriptions in all came from C comments"
          % (described, filled, 100.0 * filled / described if described else 0.0, reproduced,
             100.0 * reproduced / described if described else 0.0, sum(row["fromComments"] for row in rows)))
    print("top-level keys lost: %d" % sum(len(row["lostKeys"]) for row in rows))
    print("maintainers' files failing validation: %d" % sum(row["validation"] != "passes" for row in rows))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"rows": rows, "unbuilt": unbuilt, "skipped": skipped, "overall": overall}, handle, indent=2)
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
