"""Property: placing a row's values never invents one. Whatever the cells, ``place``
either says why it cannot tell, or returns exactly ``width`` values, each of them a
cell of the row, in the row's order."""
from hypothesis import given
from hypothesis import strategies as st

from loaders.tables import place
from loaders.values import read_value

cells = st.lists(st.one_of(st.just(""), st.integers(0, 10**6).map(str), st.sampled_from(["/", "—", "无"])),
                 max_size=20)


@given(cells, st.integers(1, 15), st.booleans())
def test_place_never_invents_a_value(row, width, aligned):
    values = [read_value(c) for c in row]
    placed = place(values, width, aligned=aligned)
    if isinstance(placed, str):
        assert "columns" in placed
        return
    assert len(placed) == width
    printed = [v.raw for v in values if not v.is_blank]
    taken = [v.raw for v in placed if not v.is_blank]
    it = iter(printed)
    assert all(raw in it for raw in taken), (row, width, taken)  # a subsequence, in order
    if not aligned:
        assert taken == printed or not printed
