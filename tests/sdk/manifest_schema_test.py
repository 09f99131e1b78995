#!/usr/bin/env python3
"""The manifest schema (sdk/schema/manifest.schema.json) agrees with the core.

1. Every manifest in the tree (modules, fixtures, examples) is valid.
2. Each fixture manifest of tests/fixtures/manifests gets the same verdict
   from the schema as from the core (`sc --json --plugin-path DIR help`).
3. A table of variations of one manifest, each with its expected verdict,
   is judged by both; they must agree with the expectation, except for the
   rules JSON Schema cannot express (sdk/docs/MANIFEST.md, "What the schema
   cannot check"), where the core refuses and the schema accepts: those are
   asserted as such, so the list cannot silently grow.

Needs python3-jsonschema (Debian).
"""

import argparse
import copy
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema is missing: apt-get install python3-jsonschema (see .ci/install-deps)")
    sys.exit(1)

BASE = {
    "format_version": "1.0",
    "name": "demo",
    "version": "1.0.0",
    "abi": "1.0",
    "library": "demo.so",
    "summary": "a manifest for the schema test",
    "requires": ["other"],
    "settings": [{"name": "DEMO_TEXT", "type": "string", "default": "x", "prompt": "Text?", "summary": "text"}],
    "commands": [{"name": "run", "usage": "ARG", "summary": "run it", "changes_host": True}],
    "hooks": ["files"],
}
DROP = object()  # marks a member to remove


def variant(*edits):
    """BASE with edits applied: (path, value) where path is a tuple of keys
    and indices; value DROP removes the member."""
    m = copy.deepcopy(BASE)
    for path, value in edits:
        obj = m
        for k in path[:-1]:
            obj = obj[k]
        if value is DROP:
            del obj[path[-1]]
        else:
            obj[path[-1]] = value
    return m


def setting(**fields):
    s = {"name": "DEMO_X"}
    s.update(fields)
    return (("settings", 0), s)


def command(**fields):
    c = {"name": "run", "summary": "s"}
    c.update(fields)
    return (("commands", 0), c)


OK, BAD, CORE_ONLY = "valid", "invalid", "refused by the core only"

# (what, manifest, expected)
CASES = [
    ("the base manifest", variant(), OK),
    # format_version, and unknown fields
    ("format 2.0", variant((("format_version",), "2.0")), BAD),
    ("format 0.9", variant((("format_version",), "0.9")), BAD),
    ("format without minor", variant((("format_version",), "1")), BAD),
    ("format with letters", variant((("format_version",), "1.x")), BAD),
    ("format as a number", variant((("format_version",), 1.0)), BAD),
    ("format with leading zeros", variant((("format_version",), "01.00")), OK),
    ("format minor 65535", variant((("format_version",), "1.65535")), OK),
    ("format minor 65536", variant((("format_version",), "1.65536")), BAD),
    ("format with a trailing newline", variant((("format_version",), "1.0\n")), BAD),
    ("format missing", variant((("format_version",), DROP)), BAD),
    ("unknown top-level field in 1.0", variant((("extra",), 1)), BAD),
    ("unknown top-level field in 01.00", variant((("format_version",), "01.00"), (("extra",), 1)), BAD),
    ("unknown top-level field in 1.1", variant((("format_version",), "1.1"), (("extra",), 1)), OK),
    ("unknown setting field in 1.0", variant(setting(colour="red")), BAD),
    ("unknown setting field in 1.2", variant((("format_version",), "1.2"), setting(colour="red")), OK),
    ("unknown command field in 1.0", variant(command(alias="x")), BAD),
    ("unknown command field in 1.3", variant((("format_version",), "1.3"), command(alias="x")), OK),
    ("known fields are still checked in 1.1", variant((("format_version",), "1.1"), setting(secret="yes")), BAD),
    # name
    ("name with a dash", variant((("name",), "de-mo")), OK),
    ("name of 64 characters", variant((("name",), "d" * 64)), OK),
    ("name of 65 characters", variant((("name",), "d" * 65)), BAD),
    ("name in upper case", variant((("name",), "Demo")), BAD),
    ("name starting with a digit", variant((("name",), "9demo")), BAD),
    ("name with an underscore", variant((("name",), "de_mo")), BAD),
    ("name with a trailing newline", variant((("name",), "demo\n")), BAD),
    ("name as a number", variant((("name",), 5)), BAD),
    ("name missing", variant((("name",), DROP)), BAD),
    # version
    ("Debian version", variant((("version",), "1.0.0~rc1+b2-3")), OK),
    ("version with a v", variant((("version",), "v1")), BAD),
    ("empty version", variant((("version",), "")), BAD),
    ("version with a space", variant((("version",), "1.0 0")), BAD),
    ("version of 65 characters", variant((("version",), "1" * 65)), BAD),
    ("version with a trailing newline", variant((("version",), "1.0\n")), BAD),
    ("version as a number", variant((("version",), 1)), BAD),
    # abi (another major is refused by the loader, not the manifest parser)
    ("abi 1.1", variant((("abi",), "1.1")), OK),
    ("abi 2.0", variant((("abi",), "2.0")), OK),
    ("abi without minor", variant((("abi",), "1")), BAD),
    ("abi with three parts", variant((("abi",), "1.0.0")), BAD),
    ("abi minor 65536", variant((("abi",), "1.65536")), BAD),
    ("abi missing", variant((("abi",), DROP)), BAD),
    # library
    ("library in a sub-directory", variant((("library",), "lib/demo.so")), BAD),
    ("absolute library", variant((("library",), "/usr/lib/demo.so")), BAD),
    ("empty library", variant((("library",), "")), BAD),
    ("library '.'", variant((("library",), ".")), BAD),
    ("library '..'", variant((("library",), "..")), BAD),
    ("library of another name", variant((("library",), "libdemo-1.so")), OK),
    # summary
    ("empty summary", variant((("summary",), "")), OK),
    ("summary as a number", variant((("summary",), 5)), BAD),
    ("summary missing", variant((("summary",), DROP)), BAD),
    # requires
    ("no requirement", variant((("requires",), [])), OK),
    ("requires as a string", variant((("requires",), "other")), BAD),
    ("requires a number", variant((("requires",), [5])), BAD),
    ("requires a bad name", variant((("requires",), ["Other"])), BAD),
    ("requires a module twice", variant((("requires",), ["other", "other"])), BAD),
    ("requires itself", variant((("requires",), ["demo"])), CORE_ONLY),
    # settings
    ("settings as an object", variant((("settings",), {})), BAD),
    ("setting that is not an object", variant((("settings", 0), "DEMO_X")), BAD),
    ("setting without a name", variant((("settings", 0), {"type": "string"})), BAD),
    ("setting name in lower case", variant(setting(name="demo_x")), BAD),
    ("setting name starting with _", variant(setting(name="_DEMO")), BAD),
    ("setting name of 64 characters", variant(setting(name="D" * 64)), OK),
    ("setting name of 65 characters", variant(setting(name="D" * 65)), BAD),
    ("setting declared twice", variant((("settings",), [{"name": "DEMO_X"}, {"name": "DEMO_X"}])), CORE_ONLY),
    ("setting without a type", variant(setting()), OK),
    ("setting of unknown type", variant(setting(type="float")), BAD),
    ("setting type as a number", variant(setting(type=5)), BAD),
    ("prompt as a number", variant(setting(prompt=5)), BAD),
    ("setting summary as a number", variant(setting(summary=5)), BAD),
    ("choice without choices", variant(setting(type="choice")), BAD),
    ("choice with choices", variant(setting(type="choice", choices=["a", "b"])), OK),
    ("empty choices", variant(setting(type="choice", choices=[])), BAD),
    ("choices with a number", variant(setting(type="choice", choices=["a", 5])), BAD),
    ("choices as a string", variant(setting(type="choice", choices="a")), BAD),
    ("choices on a string setting", variant(setting(type="string", choices=["a"])), OK),
    ("int bounds", variant(setting(type="int", min=-5, max=10)), OK),
    ("min as a string", variant(setting(type="int", min="1")), BAD),
    ("max as a fraction", variant(setting(type="int", max=1.5)), BAD),
    ("bounds on a string setting", variant(setting(type="string", min=1)), OK),
    ("secret as a string", variant(setting(secret="yes")), BAD),
    ("secret", variant(setting(secret=True)), OK),
    ("default as an object", variant(setting(default={})), BAD),
    ("default as a fraction", variant(setting(default=1.5)), BAD),
    ("default null", variant(setting(default=None)), BAD),
    ("string default true", variant(setting(default=True)), OK),
    ("string default 5", variant(setting(default=5)), OK),
    ("string default with a NUL", variant(setting(default="a\u0000b")), BAD),
    ("string default with a newline", variant(setting(default="a\nb")), OK),
    ("list default", variant(setting(type="list", default="a b c")), OK),
    ("path default", variant(setting(type="path", default="/srv/data")), OK),
    ("empty path default", variant(setting(type="path", default="")), OK),
    ("relative path default", variant(setting(type="path", default="srv")), BAD),
    ("path default with a newline", variant(setting(type="path", default="/a\nb")), BAD),
    ("path default with a trailing newline", variant(setting(type="path", default="/a\n")), BAD),
    ("path default true", variant(setting(type="path", default=True)), BAD),
    ("path default 5", variant(setting(type="path", default=5)), BAD),
    ("bool default true", variant(setting(type="bool", default=True)), OK),
    ("bool default Yes", variant(setting(type="bool", default="Yes")), OK),
    ("bool default OFF", variant(setting(type="bool", default="OFF")), OK),
    ("bool default '0'", variant(setting(type="bool", default="0")), OK),
    ("bool default 1", variant(setting(type="bool", default=1)), OK),
    ("bool default 2", variant(setting(type="bool", default=2)), BAD),
    ("bool default maybe", variant(setting(type="bool", default="maybe")), BAD),
    ("bool default with a trailing newline", variant(setting(type="bool", default="yes\n")), BAD),
    ("int default '42'", variant(setting(type="int", default="42")), OK),
    ("int default '-3'", variant(setting(type="int", default="-3")), OK),
    ("int default 42", variant(setting(type="int", default=42)), OK),
    ("int default '4x'", variant(setting(type="int", default="4x")), BAD),
    ("int default '+4'", variant(setting(type="int", default="+4")), BAD),
    ("int default ''", variant(setting(type="int", default="")), BAD),
    ("int default true", variant(setting(type="int", default=True)), BAD),
    ("int default with a trailing newline", variant(setting(type="int", default="4\n")), BAD),
    ("int default above max", variant(setting(type="int", max=10, default=50)), CORE_ONLY),
    ("int default below min", variant(setting(type="int", min=1, default="0")), CORE_ONLY),
    ("choice default among choices", variant(setting(type="choice", choices=["a", "b"], default="b")), OK),
    ("choice default not among choices", variant(setting(type="choice", choices=["a", "b"], default="c")), CORE_ONLY),
    # commands
    ("commands as an object", variant((("commands",), {})), BAD),
    ("command without a name", variant((("commands", 0), {"summary": "s"})), BAD),
    ("command without a summary", variant((("commands", 0), {"name": "run"})), BAD),
    ("command name in upper case", variant(command(name="Run")), BAD),
    ("command name with _ and -", variant(command(name="r_u-n2")), OK),
    ("command name of 65 characters", variant(command(name="r" * 65)), BAD),
    ("usage as a number", variant(command(usage=5)), BAD),
    ("changes_host as a string", variant(command(changes_host="yes")), BAD),
    ("command declared twice", variant((("commands",), [{"name": "a", "summary": "s"}, {"name": "a", "summary": "t"}])),
     CORE_ONLY),
    # hooks
    ("no hook", variant((("hooks",), [])), OK),
    ("hooks as a string", variant((("hooks",), "files")), BAD),
    ("hook in upper case", variant((("hooks",), ["Files"])), BAD),
    ("hook listed twice", variant((("hooks",), ["files", "files"])), BAD),
    ("hook with _", variant((("hooks",), ["set_fqdn"])), OK),
    # the document itself
    ("an array", [], BAD),
    ("a string", "demo", BAD),
]


def module_stem(doc):
    name = doc.get("name") if isinstance(doc, dict) else None
    return name if isinstance(name, str) and re.fullmatch(r"[a-z][a-z0-9-]{0,63}", name) else "demo"


class Core:
    """Asks the built `sc` whether it accepts a manifest."""

    def __init__(self, sc):
        self.sc = sc

    def verdict(self, text, stem):
        with tempfile.TemporaryDirectory(prefix="sc-schema-") as d:
            path = os.path.join(d, stem + ".json")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(path, 0o644)  # sc refuses group- or world-writable manifests
            r = subprocess.run([self.sc, "--json", "--plugin-path", d, "help"], capture_output=True, text=True,
                               check=False)
            if r.returncode != 0:
                raise SystemExit("sc help failed (%d): %s%s" % (r.returncode, r.stdout, r.stderr))
            modules = json.loads(r.stdout)["result"]["modules"]
            if len(modules) != 1:
                raise SystemExit("sc help listed %d modules for one manifest: %s" % (len(modules), r.stdout))
            return modules[0].get("error")  # None: accepted


def schema_errors(validator, text):
    try:
        doc = json.loads(text)
    except ValueError as e:
        return ["not JSON: %s" % e]
    return [e.message for e in validator.iter_errors(doc)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sc", required=True, help="the built sc")
    p.add_argument("--source-dir", required=True)
    a = p.parse_args()
    src = a.source_dir
    with open(os.path.join(src, "sdk", "schema", "manifest.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    core = Core(a.sc)
    passed, failures = 0, []

    # 1. every manifest in the tree
    good = sorted(set(glob.glob(os.path.join(src, "plugins", "*", "manifest.json")) +
                      glob.glob(os.path.join(src, "tests", "fixtures", "*", "manifest.json")) +
                      glob.glob(os.path.join(src, "tests", "abi", "*", "manifest.json")) +
                      glob.glob(os.path.join(src, "sdk", "examples", "*", "manifest.json"))))
    if len(good) < 5:
        failures.append("found only %d manifests in the tree: %s" % (len(good), good))
    for path in good:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        rel = os.path.relpath(path, src)
        errors = schema_errors(validator, text)
        core_error = core.verdict(text, module_stem(json.loads(text)))
        if errors or core_error:
            failures.append("%s: schema: %s; core: %s" % (rel, errors or "valid", core_error or "valid"))
        else:
            passed += 1

    # 2. the broken fixtures: same verdict as the core
    refused = 0
    for path in sorted(glob.glob(os.path.join(src, "tests", "fixtures", "manifests", "*.json"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        stem = os.path.splitext(os.path.basename(path))[0]
        errors = schema_errors(validator, text)
        core_error = core.verdict(text, stem)
        refused += core_error is not None
        if bool(errors) != (core_error is not None):
            failures.append("fixture %s: schema says %s, core says %s" % (stem, errors or "valid", core_error or "valid"))
        else:
            passed += 1
    if refused < 3:
        failures.append("expected at least 3 fixture manifests the core refuses, found %d" % refused)

    # 3. the table
    for what, doc, expected in CASES:
        text = json.dumps(doc)
        errors = schema_errors(validator, text)
        core_error = core.verdict(text, module_stem(doc))
        schema_ok, core_ok = not errors, core_error is None
        want_schema, want_core = {OK: (True, True), BAD: (False, False), CORE_ONLY: (True, False)}[expected]
        if (schema_ok, core_ok) == (want_schema, want_core):
            passed += 1
        else:
            failures.append("%s (expected %s): schema: %s; core: %s\n    manifest: %s"
                            % (what, expected, errors or "valid", core_error or "valid", text))

    for f in failures:
        print("FAIL: " + f)
    print("%d passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
