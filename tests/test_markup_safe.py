"""``markup_safe``: what an lxml tree cannot hold leaves HTML before it is parsed,
written as itself or as a numeric reference; everything else stays.

Inputs are hand-made.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seedwatch.text import _CHAR_REF, _NOT_XML, _char_ref, markup_safe


@pytest.mark.parametrize(
    ("html", "safe"),
    [
        ("a\x00b\x08c\x0bd\x1fe", "abcde"),
        ("a\ud800b\udfffc", "abc"),
        ("a\ufffeb\uffffc", "abc"),
        ("a&#1;b", "ab"),
        ("a&#0001;b", "ab"),
        ("a&#31;b&#x1f;c&#X0B;d", "abcd"),
        ("a&#55296;b&#xDFFF;c", "abc"),
        ("a&#65534;b&#xffff;c", "abc"),
        # libxml2 reads digits as far as they go and the ";" is optional.
        ("a&#xfffe b", "a b"),
        ("&#1e9;", "e9;"),
    ],
)
def test_what_a_tree_cannot_hold_is_dropped(html: str, safe: str) -> None:
    assert markup_safe(html) == safe


@pytest.mark.parametrize(
    "html",
    [
        "tab\t, line\n, return\r",
        "&#9;&#10;&#13;&#32;&#39;&#160;&#8217;",
        "&#x9;&#xA;&#xD;&#x20;&#x27;&#xA0;&#x2019;&#x1F600;",
        "&#55295;&#57344;&#65533;&#65536;&#1114112;",
        "&#xD7FF;&#xE000;&#xFFFD;&#x10000;&#x110000;",
        "&#0000000000001; (more digits than a reference has)",
        "plain &amp; text \u00e9\u4e2d\U0001f600",
    ],
)
def test_everything_else_stays(html: str) -> None:
    assert markup_safe(html) == html


def _reference(code: int) -> str:
    return f"&#{code};" if code % 2 else f"&#x{code:X}"


@given(
    st.lists(
        st.one_of(
            st.text(max_size=5),
            st.integers(0, 0x10FFFF).map(_reference),
            st.sampled_from(["\x00", "\ud800", "\ufffe", "&#0", "&#x0", "&#", "0", ";"]),
        ),
        max_size=12,
    )
)
def test_the_quick_checks_change_nothing(parts: list[str]) -> None:
    # markup_safe skips its substitutions when byte and regex searches find
    # nothing for them to do: the result is the substitutions' own.
    html = "".join(parts)
    assert markup_safe(html) == _CHAR_REF.sub(_char_ref, _NOT_XML.sub("", html))
