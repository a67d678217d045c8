"""The brand's own CSS for the public pages (Brand.public_css), made safe to put in a <style>
element of pages that carry signed personal links.

Whatever was saved, what comes out cannot end the style element (`<` is written as the CSS
escape `\\3c `), load another stylesheet (`@import` is removed), or fetch from other hosts
(`url(...)` and `image-set(...)` to anything but this site's own paths or host are removed,
as are the old script hooks `expression(`, `behavior:` and `-moz-binding`). CSS escapes
(`@\\69mport`, `u\\72l(`) and comments (`@import/**/"x"`) are undone before checking, so
they cannot smuggle any of these past. Longer CSS than PUBLIC_CSS_LIMIT is cut.

The values put into CSS custom properties (colours, fonts) are checked the same way:
`css_color` and `css_font_family` return a safe value or the default.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PUBLIC_CSS_LIMIT = 20_000  # characters

_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(\n)|(.))", re.S)
_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.S)
_IMPORT = re.compile(r"@import\b[^;{}]*;?", re.I)
_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^"'()\s]*))\s*\)""", re.I)
_SCRIPTY = re.compile(r"image-set\(|(?<![\w-])image\(|expression\(|behavior\s*:|-moz-binding", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HEX_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_FONT = re.compile(r"[^\w \-,'\".]", re.U)


def _unescape(match: re.Match) -> str:
    """One CSS escape: ASCII it spells is written out (so it is checked); a backslash, quote or
    line break it spells is dropped; anything else (e.g. "\\201C") is kept as written."""
    hexa, newline, char = match.groups()
    if newline:
        return ""  # a line continuation inside a string
    if hexa:
        code = int(hexa, 16)
        if code >= 0x80:
            return match.group(0)
        char = chr(code)
    if char in "\\\"'\n\r\f" or not char.isprintable():
        return ""
    return char


def _same_site(url: str, own_host: str) -> bool:
    url = url.strip()
    if not url or url.startswith("#"):
        return True
    if "\\" in url or url.startswith("//"):
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True  # a path on this site
    return parts.scheme in ("http", "https") and bool(own_host) and parts.netloc == own_host


def sanitize_public_css(css: str, own_host: str = "") -> str:
    """The brand's CSS as it may go into a <style> element (see the module's docstring)."""
    if not css:
        return ""
    text = _CONTROL.sub("", css[:PUBLIC_CSS_LIMIT])
    text = _ESCAPE.sub(_unescape, text)
    text = _COMMENT.sub(" ", text)
    text = _IMPORT.sub("", text)
    kept: list[str] = []

    def url(match: re.Match) -> str:
        target = next((g for g in match.groups() if g is not None), "")
        if not _same_site(target, own_host):
            return "none"
        kept.append(f'url("{target.replace(chr(34), "")}")')
        return f"\x00{len(kept) - 1}\x00"

    text = _URL.sub(url, text)
    # Whatever `url(` is left was not a plain one (unbalanced, nested): it loads nothing.
    text = re.sub(r"url\(", "blocked(", text, flags=re.I)
    text = _SCRIPTY.sub("blocked(", text)
    text = re.sub("\x00(\\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return text.replace("<", "\\3c ")


def public_css_problems(css: str, own_host: str = "") -> list[str]:
    """Why saved CSS would be changed on the pages (for the brand form to explain)."""
    problems = []
    if len(css) > PUBLIC_CSS_LIMIT:
        problems.append(f"the CSS is longer than {PUBLIC_CSS_LIMIT:,} characters")
    plain = _COMMENT.sub(" ", _ESCAPE.sub(_unescape, css))
    if "<" in plain:
        problems.append("the CSS must not contain “<” (it could end the style element)")
    if _IMPORT.search(plain):
        problems.append("@import is not allowed (the pages load no other stylesheets)")
    for match in _URL.finditer(plain):
        target = next((g for g in match.groups() if g is not None), "")
        if not _same_site(target, own_host):
            problems.append(f"url({target[:80]}) is on another host: only this site's files")
            break
    if _SCRIPTY.search(plain):
        problems.append(
            "image(), image-set(), expression(), behavior and -moz-binding are not allowed"
        )
    return problems


def css_color(value: str, default: str) -> str:
    """A #rgb / #rrggbb colour, or `default`."""
    return value if isinstance(value, str) and _HEX_COLOR.fullmatch(value) else default


def css_font_family(value: str, default: str) -> str:
    """A font-family list with letters, digits, spaces, commas, hyphens, dots and balanced
    quotes only, or `default`."""
    if not isinstance(value, str) or not value.strip():
        return default
    cleaned = _FONT.sub("", value)[:200]
    if cleaned.count('"') % 2 or cleaned.count("'") % 2:
        cleaned = cleaned.replace('"', "").replace("'", "")
    return cleaned.strip() or default
