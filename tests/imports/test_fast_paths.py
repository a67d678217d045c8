"""The import's shortcut for text that is already one clean line gives what the general
clean-up (control characters to spaces, whitespace runs collapsed, ends trimmed) gives."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwright.imports import records


def reference_one_line(text: str) -> str:
    return " ".join(records._CONTROL.sub(" ", text).split())


@settings(max_examples=3000, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(" ab\t\n\r\x0b\x0c\x1c\x1f\x00\x7f\u00a0\u2028\u3000\u200bŁ", max_size=12),
    )
)
@example("Łukasz  Żółć")
@example(" O'Brien")
@example("Nguyễn Văn\u00a0Anh")
@example("a\x85b")
def test_one_line_shortcut_agrees_with_the_general_clean_up(text):
    assert records._one_line(text) == reference_one_line(text)
