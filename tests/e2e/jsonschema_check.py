#!/usr/bin/python3
"""Validate envelope files with an independent validator (python3-jsonschema).

Usage: jsonschema_check.py SCHEMA FILE...

Prints "FILE: ok" on stdout or "FILE: invalid at PATH: MESSAGE" on stderr for
each file, like `atlasctl validate`, and exits 0 when all are valid, 2 when any
is not. Besides the schema it applies the byte-level limits the schema's
description names (1 MiB, UTF-8 without BOM, nesting <= 64, no NaN/Infinity,
numbers within a double's range), written here from that description rather
than shared with the C++ code.

Run it with /usr/bin/python3: Debian's python3-jsonschema lives there.
"""
import json
import math
import sys

import jsonschema

MAX_BYTES = 1048576
MAX_DEPTH = 64


class Invalid(Exception):
    def __init__(self, path, message):
        super().__init__(message)
        self.path = path
        self.message = message


def depth(value):
    # Iterative, so a deep document cannot exhaust Python's recursion limit.
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def load(data):
    if len(data) > MAX_BYTES:
        raise Invalid("/", f"{len(data)} bytes, over the {MAX_BYTES}-byte limit")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise Invalid("/", f"not UTF-8: {e}") from None
    if text.startswith("\ufeff"):
        raise Invalid("/", "starts with a byte order mark")
    try:
        document = json.loads(text, parse_constant=reject_constant)
    except RecursionError:
        raise Invalid("/", "nested too deep") from None
    except ValueError as e:
        raise Invalid("/", f"not JSON: {e}") from None
    if depth(document) > MAX_DEPTH:
        raise Invalid("/", f"nested deeper than {MAX_DEPTH}")
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise Invalid("/", "number out of the range of a double")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return document


def pointer(parts):
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts) or "/"


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    status = 0
    for name in argv[2:]:
        try:
            with open(name, "rb") as f:
                data = f.read(MAX_BYTES + 1)
            document = load(data)
            error = jsonschema.exceptions.best_match(validator.iter_errors(document))
            if error is not None:
                raise Invalid(pointer(error.absolute_path), error.message)
            print(f"{name}: ok")
        except OSError as e:
            print(f"{name}: cannot read: {e.strerror}", file=sys.stderr)
            status = 2
        except Invalid as e:
            print(f"{name}: invalid at {e.path}: {e.message[:200]}", file=sys.stderr)
            status = 2
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
