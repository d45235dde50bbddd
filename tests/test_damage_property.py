"""Property: damaged reports never yield an invented value.

Hypothesis damages the seeds — drops or duplicates lines, changes white space,
truncates, re-encodes — and the loader must either raise its own clear error
(LoadError) or return only values that the damaged text really prints where the
cell says it was read."""
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loaders.document import parse_bytes
from loaders.errors import LoadError
from loaders.values import read_value
from tests.conftest import SEEDS

TEXTS = [p.read_text(encoding="utf-8") for p in SEEDS]


@st.composite
def damaged(draw):
    text = draw(st.sampled_from(TEXTS))
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "duplicate", "tabs_to_spaces", "extra_tab", "strip"]))
        if action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "tabs_to_spaces":
            lines[i] = lines[i].replace("\t", " ")
        elif action == "extra_tab":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + "\t" + lines[i][at:]
        else:
            lines[i] = lines[i].strip()
    text = "\n".join(lines)
    if draw(st.booleans()):
        text = text[:draw(st.integers(0, len(text)))]
    encoding = draw(st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-8-sig"]))
    return text, encoding


@given(damaged())
@settings(max_examples=400, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow])
def test_never_an_invented_value(case):
    text, encoding = case
    try:
        parsed = parse_bytes(text.encode(encoding), "damaged.txt")
    except LoadError as e:
        assert str(e).startswith("damaged.txt: ")
        return
    lines = text.splitlines()
    for c in parsed.cells:
        if c.value is None:
            assert c.status in ("blank", "placeholder", "ambiguous", "missing")
            continue
        assert c.status == "reported"
        line = int(c.location.removeprefix("line "))
        assert c.raw in lines[line - 1], (c.key, c.raw, lines[line - 1])
        assert read_value(c.raw).number == c.value
