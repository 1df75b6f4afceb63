"""Hypothesis with arbitrary bytes and text: readers and answer parsers raise only petool's own
errors (or none), whatever they are given."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from petool_test_support import make_tiny_suite

from petool.errors import PetoolError
from petool.io import iter_jsonl_raw
from petool.parsing import parse_output
from petool.schema import Prediction
from petool.suites.directory import export_suite_dir, load_suite_dir
from petool.suites.petoolbench import judge_response
from petool.suites.ptbench.answer import PTBenchFormatError, parse_answer
from petool.suites.toolspectrum.scorer import ToolIndex, read_answer

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JSONISH = st.text(alphabet='{}[]":,0123456789.-+eE truefalsn\\u\n\r\t ', max_size=200)
_SUITE = make_tiny_suite(3)


@FUZZ
@given(st.one_of(st.binary(max_size=400), JSONISH.map(str.encode)))
def test_the_jsonl_reader_raises_only_input_errors(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.jsonl"
        path.write_bytes(data)
        with contextlib.suppress(PetoolError):
            list(iter_jsonl_raw(path))


@FUZZ
@given(st.one_of(st.binary(max_size=400), JSONISH.map(str.encode)), st.booleans())
def test_the_suite_validator_raises_only_input_errors(data, lenient):
    with tempfile.TemporaryDirectory() as tmp:
        root = export_suite_dir(_SUITE, Path(tmp) / "s")
        with (root / "tasks.jsonl").open("ab") as fh:
            fh.write(data)
        with contextlib.suppress(PetoolError):
            load_suite_dir(root, lenient=lenient)


@FUZZ
@given(st.one_of(st.text(max_size=400), JSONISH))
def test_parse_output_never_raises(text):
    result = parse_output(text, None, tool_names=["Finance.Cheap.convert"])
    assert result.status in ("ok", "no_call", "parse_error")


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300), st.text(alphabet="Az_:[](){}=,.'\"0123456789*+-", max_size=300)
    )
)
def test_the_ptbench_reader_raises_only_format_errors(text):
    with contextlib.suppress(PTBenchFormatError):
        parse_answer(text)


@FUZZ
@given(st.one_of(st.text(max_size=400), JSONISH))
def test_the_petoolbench_judge_never_raises(text):
    judge_response(text, "Finance.Cheap.convert", {"amount": 1})


@FUZZ
@given(st.one_of(st.text(max_size=400), JSONISH))
def test_the_toolspectrum_reader_never_raises(text):
    read_answer(Prediction(id="x", output=text), ToolIndex(_SUITE.tools))
