"""CSS is inlined once per campaign without disturbing template tags."""

from __future__ import annotations

from mailwright.campaigns.inlining import inline_css
from mailwright.campaigns.rendering import compile_template


def test_styles_are_inlined_and_the_style_block_kept():
    html = (
        "<html><head><style>p{color:red}</style></head>"
        "<body><p>{{ contact.name }}</p></body></html>"
    )
    out = inline_css(html)
    assert 'style="color: red;"' in out and "<style>" in out and "{{ contact.name }}" in out


def test_loops_between_table_rows_stay_in_place():
    html = (
        "<html><head><style>td{padding:4px}</style></head><body><table>"
        "{% for item in contact.attributes['items'] %}<tr><td>{{ item }}</td></tr>{% endfor %}"
        "</table></body></html>"
    )
    out = inline_css(html)
    _subject, rendered, _ = compile_template("s", out).render(
        {"contact": {"attributes": {"items": ["a", "b"]}}}
    )
    assert rendered.count('<td style="padding: 4px;">') == 2
    assert rendered.index(">a<") < rendered.index(">b<")


def test_no_style_block_means_no_change_and_bad_css_is_harmless():
    plain = "<p>{{ x }}</p>"
    assert inline_css(plain) is plain
    broken = "<style>p{color:</style><p>{% if x %}y{% endif %}</p>"
    assert "{% if x %}y{% endif %}" in inline_css(broken)
