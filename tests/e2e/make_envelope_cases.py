#!/usr/bin/python3
"""Write envelope test cases for validate_examples.sh.

Usage: make_envelope_cases.py EXAMPLES_DIR OUT_DIR

Each case is an example from docs/event_examples changed in one way. Writes
OUT_DIR/<name>.json and OUT_DIR/cases.tsv with lines "<name>.json<TAB><expected>"
where <expected> is "ok" or the JSON Pointer atlasctl must report ("/" for the
whole document).
"""
import copy
import json
import os
import sys


def main(examples_dir, out_dir):
    def example(name):
        with open(os.path.join(examples_dir, name), encoding="utf-8") as f:
            return json.load(f)

    chat = example("chat.json")
    spec = example("spec_done.json")
    set_budget = example("control_set_budget.json")
    escalate = example("control_escalate.json")
    heartbeat = example("control_heartbeat.json")

    cases = []  # (name, expected, bytes)

    def add_bytes(name, expected, data):
        cases.append((name, expected, data))

    def add(name, expected, base, change):
        doc = copy.deepcopy(base)
        change(doc)
        add_bytes(name, expected, json.dumps(doc, ensure_ascii=False).encode("utf-8"))

    def setter(*path_and_value):
        *path, value = path_and_value

        def change(doc):
            target = doc
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value
        return change

    def deleter(*path):
        def change(doc):
            target = doc
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]
        return change

    chat_bytes = json.dumps(chat, ensure_ascii=False).encode("utf-8")

    # --- byte-level problems: the whole document ---
    add_bytes("not_json", "/", b'{"task_id": "cce80f99-b320-4ec0-9eb2-117ea1a35b98", "role": ')
    add_bytes("empty_file", "/", b"")
    add_bytes("invalid_utf8", "/", chat_bytes.replace(b"minimal", b"mini\xffmal"))
    add_bytes("overlong_utf8", "/", chat_bytes.replace(b"minimal", b"mini\xc0\xafmal"))
    add_bytes("surrogate_utf8", "/", chat_bytes.replace(b"minimal", b"mini\xed\xa0\x80mal"))
    big = copy.deepcopy(chat)
    big["content"] = "x" * (1048576 + 1)
    add_bytes("over_1mib", "/", json.dumps(big).encode("utf-8"))
    add_bytes("byte_order_mark", "/", b"\xef\xbb\xbf" + chat_bytes)
    add_bytes("nan_literal", "/", chat_bytes.replace(b'"tokens": 0', b'"tokens": NaN'))
    add_bytes("huge_number", "/", chat_bytes.replace(b'"tokens": 0', b'"tokens": 1e400'))
    deep = copy.deepcopy(chat)
    nested = []
    for _ in range(70):
        nested = [nested]
    deep["metadata"]["rag"] = {"trace": nested}
    add_bytes("too_deep", "/", json.dumps(deep).encode("utf-8"))
    add_bytes("array_document", "/", b"[1, 2, 3]")
    add_bytes("string_document", "/", b'"hello"')

    # --- schema problems: the field's path ---
    add("missing_task_id", "/task_id", chat, deleter("task_id"))
    add("malformed_task_id", "/task_id", chat, setter("task_id", "not-a-uuid"))
    add("task_id_number", "/task_id", chat, setter("task_id", 42))
    add("task_id_braces", "/task_id", chat,
        setter("task_id", "{cce80f99-b320-4ec0-9eb2-117ea1a35b98}"))
    add("task_id_no_hyphens", "/task_id", chat,
        setter("task_id", "cce80f99b3204ec09eb2117ea1a35b98"))
    add("task_id_trailing_newline", "/task_id", chat,
        setter("task_id", "cce80f99-b320-4ec0-9eb2-117ea1a35b98\n"))
    add("task_id_not_hex", "/task_id", chat,
        setter("task_id", "gce80f99-b320-4ec0-9eb2-117ea1a35b98"))
    add("wrong_role", "/role", chat, setter("role", "assistant"))
    add("missing_role", "/role", chat, deleter("role"))
    add("unknown_msg_type", "/msg_type", chat, setter("msg_type", "image"))
    add("msg_type_null", "/msg_type", chat, setter("msg_type", None))
    add("missing_content", "/content", chat, deleter("content"))
    add("chat_content_object", "/content", chat, setter("content", {"text": "Design it"}))
    add("chat_content_empty", "/content", chat, setter("content", ""))
    add("spec_content_array", "/content", spec, setter("content", ["# ADR"]))
    add("control_unknown_command", "/content/command", heartbeat,
        setter("content", {"command": "reboot"}))
    add("control_content_string", "/content", heartbeat, setter("content", "flush_cache"))
    add("control_missing_command", "/content/command", heartbeat, setter("content", {}))
    add("control_command_number", "/content/command", heartbeat,
        setter("content", {"command": 7}))
    add("set_budget_zero", "/content/tokens_per_run", set_budget,
        setter("content", "tokens_per_run", 0))
    add("set_budget_fraction", "/content/tokens_per_run", set_budget,
        setter("content", "tokens_per_run", 1.5))
    add("set_budget_string", "/content/tokens_per_run", set_budget,
        setter("content", "tokens_per_run", "8000"))
    add("set_budget_too_big", "/content/tokens_per_run", set_budget,
        setter("content", "tokens_per_run", 9007199254740992))
    add("set_budget_missing", "/content/tokens_per_run", set_budget,
        deleter("content", "tokens_per_run"))
    add("escalate_missing_reason", "/content/reason", escalate, deleter("content", "reason"))
    add("escalate_bad_failed_task_id", "/content/failed_task_id", escalate,
        setter("content", "failed_task_id", "task-17"))
    add("escalate_negative_attempts", "/content/attempts", escalate,
        setter("content", "attempts", -1))
    add("escalate_missing_last_error", "/content/last_error", escalate,
        deleter("content", "last_error"))
    add("missing_metadata", "/metadata", chat, deleter("metadata"))
    add("metadata_array", "/metadata", chat, setter("metadata", []))
    add("schema_ver_2", "/metadata/schema_ver", chat, setter("metadata", "schema_ver", 2))
    add("schema_ver_string", "/metadata/schema_ver", chat, setter("metadata", "schema_ver", "1"))
    add("schema_ver_true", "/metadata/schema_ver", chat, setter("metadata", "schema_ver", True))
    add("missing_schema_ver", "/metadata/schema_ver", chat, deleter("metadata", "schema_ver"))
    add("unknown_status", "/metadata/status", chat, setter("metadata", "status", "finished"))
    add("status_null", "/metadata/status", chat, setter("metadata", "status", None))
    add("spec_without_parent_id", "/metadata/parent_id", spec, deleter("metadata", "parent_id"))
    add("spec_parent_id_null", "/metadata/parent_id", spec, setter("metadata", "parent_id", None))
    add("malformed_parent_id", "/metadata/parent_id", chat,
        setter("metadata", "parent_id", "parent"))
    add("negative_tokens", "/metadata/tokens", chat, setter("metadata", "tokens", -5))
    add("tokens_boolean", "/metadata/tokens", chat, setter("metadata", "tokens", True))
    add("model_number", "/metadata/model", chat, setter("metadata", "model", 42))
    add("origin_string", "/metadata/origin", chat, setter("metadata", "origin", "slack"))
    add("origin_unknown_kind", "/metadata/origin/kind", chat,
        setter("metadata", "origin", "kind", "email"))
    add("origin_missing_kind", "/metadata/origin/kind", chat,
        deleter("metadata", "origin", "kind"))
    add("negative_cost", "/metadata/cost_usd", spec, setter("metadata", "cost_usd", -0.5))
    add("attempts_object", "/metadata/attempts", spec, setter("metadata", "attempts", {}))
    add("usage_array", "/metadata/usage", spec, setter("metadata", "usage", []))
    add("unknown_top_level_field", "/priority", chat, setter("priority", "high"))

    # --- valid variations both validators must accept ---
    add("ok_upper_case_task_id", "ok", chat,
        setter("task_id", "CCE80F99-B320-4EC0-9EB2-117EA1A35B98"))
    add("ok_schema_ver_1_0", "ok", chat, setter("metadata", "schema_ver", 1.0))
    add("ok_minimal_metadata", "ok", chat, setter("metadata", {"schema_ver": 1}))
    add("ok_extra_metadata", "ok", chat, setter("metadata", "trace_id", "abc"))
    add("ok_heartbeat_extra_fields", "ok", heartbeat,
        setter("content", {"command": "heartbeat", "replica": "w-1"}))
    add("ok_spec_empty_content", "ok", spec, setter("content", ""))
    add("ok_non_ascii", "ok", chat, setter("content", "Entwurf f\u00fcr \u6570\u636e \U0001F680"))
    add("ok_escaped_nul", "ok", chat, setter("content", "a\u0000b"))
    add_bytes("ok_pretty_printed", "ok", json.dumps(chat, indent=4).encode("utf-8"))

    with open(os.path.join(out_dir, "cases.tsv"), "w", encoding="utf-8") as manifest:
        for name, expected, data in cases:
            with open(os.path.join(out_dir, name + ".json"), "wb") as f:
                f.write(data)
            manifest.write(f"{name}.json\t{expected}\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
