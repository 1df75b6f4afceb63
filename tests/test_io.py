from __future__ import annotations

import json

import pytest

from petool.errors import InputError
from petool.io import (
    JsonlAppender,
    read_json,
    read_jsonl,
    repair_torn_tail,
    write_jsonl,
)
from petool.schema import Task, ToolCall


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_bad_json_names_file_and_line(tmp_path):
    p = tmp_path / "tasks.jsonl"
    _write(p, ['{"id": "a", "instruction": "x"}', '{"id": "b", "instruction": '])
    with pytest.raises(InputError, match=r"tasks\.jsonl:2: invalid JSON"):
        read_jsonl(p, Task)


def test_missing_field_names_the_field(tmp_path):
    p = tmp_path / "tasks.jsonl"
    _write(p, ['{"id": "a", "instruction": "x"}', '{"id": "b"}'])
    with pytest.raises(InputError, match=r"tasks\.jsonl:2: field 'instruction': missing"):
        read_jsonl(p, Task)


def test_wrong_type_names_the_nested_field(tmp_path):
    p = tmp_path / "tasks.jsonl"
    bad = {"id": "a", "instruction": "x", "user": {"history": [{"call": {"tool": 3}}]}}
    _write(p, [json.dumps(bad)])
    with pytest.raises(InputError, match=r":1: field 'user\.history\.0\.call\.tool'"):
        read_jsonl(p, Task)


def test_non_object_line_and_missing_file(tmp_path):
    p = tmp_path / "t.jsonl"
    _write(p, ["[1, 2]"])
    with pytest.raises(InputError, match=r"t\.jsonl:1: expected a JSON object"):
        read_jsonl(p, Task)
    with pytest.raises(InputError, match="file not found"):
        read_jsonl(tmp_path / "nope.jsonl", Task)
    (tmp_path / "b.json").write_text('{"a": }')
    with pytest.raises(InputError, match=r"b\.json:1: invalid JSON"):
        read_json(tmp_path / "b.json")


def test_blank_lines_are_skipped_but_counted(tmp_path):
    p = tmp_path / "t.jsonl"
    p.write_text('{"id": "a", "instruction": "x"}\n\n{"id": 5}\n')
    with pytest.raises(InputError, match=r":3: field 'id'"):
        read_jsonl(p, Task)


def test_write_then_read_round_trip(tmp_path, tiny_suite):
    p = tmp_path / "tasks.jsonl"
    write_jsonl(p, tiny_suite.tasks)
    assert read_jsonl(p, Task) == tiny_suite.tasks


@pytest.mark.parametrize(
    ("content", "kept"),
    [
        (b'{"a":1}\n{"a":2}\n', b'{"a":1}\n{"a":2}\n'),
        (b'{"a":1}\n{"a":', b'{"a":1}\n'),
        (b'{"a":1}\n{"a":\n', b'{"a":1}\n'),
        (b'{"a', b""),
        (b"", b""),
    ],
)
def test_repair_torn_tail(tmp_path, content, kept):
    p = tmp_path / "p.jsonl"
    p.write_bytes(content)
    removed = repair_torn_tail(p)
    assert p.read_bytes() == kept
    assert removed == len(content) - len(kept)


def test_appender_writes_whole_lines(tmp_path):
    p = tmp_path / "p.jsonl"
    with JsonlAppender(p) as w:
        w.write(ToolCall(tool="t", arguments={"x": "é"}))
        w.write({"plain": True})
    lines = p.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["arguments"] == {"x": "é"} and json.loads(lines[1]) == {
        "plain": True
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"id": "a", "id": "b"}\n', "key 'id' is given twice"),
        (b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested deeper than 64"),
        (b'{"a": ' + b'{"b": ' * 70 + b"1" + b"}" * 71 + b"\n", "nested deeper than 64"),
        (b'{"id": "ok"}\n{"id": "caf\xe9"}\n', r"x\.jsonl:2: not valid UTF-8 \(byte 24"),
        (b'{"id": "\\ud800"}\n', "lone UTF-16 surrogate"),
    ],
)
def test_hostile_jsonl_is_one_line(tmp_path, content, message):
    from petool.io import iter_jsonl_raw

    p = tmp_path / "x.jsonl"
    p.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        list(iter_jsonl_raw(p))
    assert "\n" not in str(info.value)


def test_valid_edge_cases_still_read(tmp_path):
    from petool.io import iter_jsonl_raw, read_json

    p = tmp_path / "x.jsonl"
    big = "é" * 5_000_000
    p.write_bytes(
        b'{"id": "a"}\r\n\r\n{"id": "\xce\xb1\\ud83d\\ude00"}\r\n' + f'{{"t": "{big}"}}\n'.encode()
    )
    rows = [value for _, value in iter_jsonl_raw(p)]
    assert rows[0] == {"id": "a"} and rows[1] == {"id": "α😀"} and len(rows[2]["t"]) == 5_000_000
    (tmp_path / "d.json").write_text('{"a": ' + "[" * 60 + "]" * 60 + "}")
    assert read_json(tmp_path / "d.json")["a"]


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    import os

    from petool.io import read_json, read_jsonl

    fifo = tmp_path / "tasks.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_jsonl(fifo, Task)
    with pytest.raises(InputError, match="not a regular file"):
        read_json(fifo)
