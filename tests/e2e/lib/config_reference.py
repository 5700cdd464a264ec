#!/usr/bin/env python3
"""Compares the variables the code reads with the ones docs/configuration.md lists.

Code: every configuration getter call (ConfigReader's string/secret/integer/... and
atlasctl's url_list) with a literal UPPER_CASE name, plus the aliases given to them, in
core/src/config.cpp, the three components' *_config.cpp and core/apps/atlasctl/.
Docs: every backticked UPPER_CASE name in the first column of the tables of
docs/configuration.md, except the quick-start section (variables of a shell script, compared
with scripts/quickstart.sh instead).

Exit 0 when both sets are equal; otherwise prints what is missing on each side and exits 1.
Usage: config_reference.py SOURCE_DIR
"""
import pathlib
import re
import sys

GETTERS = r"(?:string|required|secret|integer|number|boolean|seconds|choice|list|url|with_prefix|url_list)"
CALL = re.compile(GETTERS + r"\(\s*(?:[a-z_]+\s*,\s*)?\"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+_?)\"((?:[^;]|\n)*?)\)\s*[;,)}]")
ALIASES = re.compile(r"\{\s*((?:\"[A-Z][A-Z0-9_]+\"\s*,?\s*)+)\}")
NAME = re.compile(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9<>a-z]+)+)`")


def code_names(root: pathlib.Path) -> set:
    files = [root / "core/src/config.cpp", *sorted(root.glob("*/src/*_config.cpp")),
             *sorted((root / "core/apps/atlasctl").glob("*.cpp")),
             *sorted((root / "core/apps/atlasctl").glob("*.hpp"))]
    names = set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in CALL.finditer(text):
            name = match.group(1)
            names.add(name + "<name>" if name.endswith("_") else name)
            for alias_list in ALIASES.finditer(match.group(2)):
                names.update(re.findall(r"\"([A-Z][A-Z0-9_]+)\"", alias_list.group(1)))
    return names


def doc_names(root: pathlib.Path) -> tuple:
    text = (root / "docs/configuration.md").read_text(encoding="utf-8")
    binary, script = set(), set()
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line
            continue
        if not line.startswith("| `") and not line.startswith("| the worker"):
            continue
        first = line.split("|")[1]
        if line.startswith("| the worker"):
            continue  # atlasctl doctor's pointer to the worker section
        found = set(NAME.findall(first))
        (script if "Quick start" in section else binary).update(found)
    return binary, script


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    code = code_names(root)
    docs, script_docs = doc_names(root)
    # NAME_FILE of a secret is the getter's second form, not a separate variable.
    docs = {n for n in docs if n in code or not (n.endswith("_FILE") and n[:-5] in code)}
    ok = True
    undocumented = sorted(code - docs)
    stale = sorted(docs - code)
    if undocumented:
        ok = False
        print("read by the code but not in docs/configuration.md: " + ", ".join(undocumented))
    if stale:
        ok = False
        print("in docs/configuration.md but read by no binary: " + ", ".join(stale))
    quickstart = (root / "scripts/quickstart.sh").read_text(encoding="utf-8")
    for name in sorted(script_docs):
        if name not in quickstart:
            ok = False
            print(f"quick-start section lists {name}, which scripts/quickstart.sh never mentions")
    if ok:
        print(f"configuration reference matches the code: {len(code)} variables")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
