"""The compliance and quality lint (SPEC §4.3): one pure function over a message's subject,
HTML or MJML and text part. Errors block sending; warnings never do.

Compliance (unsubscribe link, preferences link, postal address) is decided on the RENDERED
output for the sample contact, as the composer decides it for each recipient
(delivery/compose.py): a link in an HTML comment or inside a false {% if %} does not count,
and {{ unsubscribe_url }} does. With `footer=True` the brand footer adds what is missing, so
those three cannot fail (except for an organisation without a postal address: the footer
cannot add what nobody has set). The sending-setup warnings (DKIM, alignment, HTTPS) need
the delivery layer: delivery/setup_lint.py. Every code is described in docs/lint.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

from markupsafe import escape

from mailwright.campaigns.inlining import inline_css
from mailwright.campaigns.lint_phrases import REPLY_PREFIXES, SPAM_PHRASES, URL_SHORTENERS
from mailwright.campaigns.rendering import (
    TemplateError,
    compile_template,
    sample_context,
)
from mailwright.campaigns.templates import MAX_SOURCE, compile_mjml

GMAIL_CLIP_BYTES = 102 * 1024  # Gmail shows "[Message clipped]" above this
MAX_SPAM_FINDINGS = 10  # per part; a list of 40 phrases helps nobody


class LintFailed(Exception):
    """Sending refused: the lint found errors (`errors`, findings with their fixes)."""

    def __init__(self, errors: list[dict], warnings: list[dict] | None = None) -> None:
        self.errors = errors
        self.warnings = warnings or []
        codes = ", ".join(sorted({e["code"] for e in errors}))
        super().__init__(f"the template does not pass the lint ({codes})")


@dataclass
class LintResult:
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def error(self, code: str, message: str, where: str, fix: str) -> None:
        self.errors.append({"code": code, "message": message, "where": where, "fix": fix})

    def warn(self, code: str, message: str, where: str, fix: str) -> None:
        self.warnings.append({"code": code, "message": message, "where": where, "fix": fix})

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"errors": self.errors, "warnings": self.warnings}


# --- text helpers ---------------------------------------------------------------------------


def _fold(value: str) -> str:
    """Case-insensitive form for every product language: Turkish dotted and dotless i fold
    to i (İ.lower() would add a combining dot), then casefold and NFC."""
    value = value.replace("İ", "i").replace("ı", "i").replace("I", "i")
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())


def _phrase_pattern() -> re.Pattern:
    phrases = sorted({_fold(p) for ps in SPAM_PHRASES.values() for p in ps}, key=len, reverse=True)
    alternation = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)")


_SPAM_RE = _phrase_pattern()
_REPLY_RE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(_fold(p)) for p in REPLY_PREFIXES) + r")\s*(?:\[\d+\])?\s*:"
)
_JINJA_OPEN = re.compile(r"\{[{%#]")


def spam_phrases(value: str) -> list[str]:
    """The spam phrases found in `value` (folded, in order of first appearance)."""
    found: list[str] = []
    for match in _SPAM_RE.finditer(_fold(value)):
        phrase = " ".join(match.group(0).split())
        if phrase not in found:
            found.append(phrase)
    return found


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- the rendered HTML, read once -----------------------------------------------------------

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|max-height\s*:\s*0|mso-hide\s*:\s*all", re.I)
_SKIP = {"style", "script", "head", "title"}
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class _Reader(HTMLParser):
    """Links, images, visible text and hidden (preheader) text of rendered HTML. Comments
    are dropped by the parser, so nothing in them counts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict] = []
        self.visible: list[str] = []
        self.hidden_text: list[str] = []
        self.without_comments: list[str] = []
        self._skip = 0
        self._open: list[bool] = []  # per open element: hidden?

    def handle_starttag(self, tag, attrs):
        self.without_comments.append(self.get_starttag_text() or "")
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"].strip())
        if tag == "img":
            self.images.append({"src": (a.get("src") or "").strip(), "alt": a.get("alt")})
        if tag in _SKIP:
            self._skip += 1
        if tag not in _VOID:
            classes = (a.get("class") or "").lower()
            hidden = bool(_HIDDEN_STYLE.search(a.get("style") or "")) or any(
                word in classes for word in ("preheader", "preview")
            )
            self._open.append(hidden)

    def handle_endtag(self, tag):
        self.without_comments.append(f"</{tag}>")
        if tag in _SKIP and self._skip:
            self._skip -= 1
        if tag not in _VOID and self._open:
            self._open.pop()

    def handle_data(self, data):
        self.without_comments.append(str(escape(data)))
        self.without_comments.append(data)
        if self._skip:
            return
        if any(self._open):
            self.hidden_text.append(data)
        else:
            self.visible.append(data)


def _read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


# --- checks ---------------------------------------------------------------------------------


def _check_subject(result: LintResult, subject: str, first_message: bool) -> None:
    if not subject.strip():
        result.error(
            "empty_subject",
            "the subject is empty",
            "subject",
            "Write a subject that says what the email is about.",
        )
        return
    if first_message and _REPLY_RE.match(_fold(subject)):
        prefix = subject.strip().split(":", 1)[0]
        result.error(
            "deceptive_subject",
            f"the subject starts with “{prefix}:”, as if it answered or forwarded an earlier"
            " message; a first message must not pretend to be part of a conversation",
            "subject",
            f"Remove “{prefix}:” from the start of the subject.",
        )
    marks = subject.count("!") + subject.count("¡")
    if marks >= 2:
        result.warn(
            "subject_exclamation",
            f"the subject has {marks} exclamation marks; spam filters score them",
            "subject",
            "Use at most one exclamation mark, or none.",
        )
    letters = [ch for ch in subject if ch.isalpha() and ch.lower() != ch.upper()]
    upper = sum(1 for ch in letters if ch.isupper())
    if len(letters) >= 8 and upper / len(letters) >= 0.7:
        result.warn(
            "subject_all_caps",
            f"{round(100 * upper / len(letters))}% of the subject's letters are capitals;"
            " it reads as shouting and spam filters score it",
            "subject",
            "Write the subject in sentence case; keep capitals for names and acronyms.",
        )


def _check_spam(result: LintResult, value: str, where: str) -> None:
    for phrase in spam_phrases(value)[:MAX_SPAM_FINDINGS]:
        result.warn(
            "spam_phrase",
            f"“{phrase}” is a phrase spam filters score",
            where,
            "Say the same thing in plainer words, or remove it.",
        )


def _column(source: str, line: int | None) -> int:
    """Jinja reports the line of a syntax error, not the column: point at the first
    template tag on that line (where the broken tag almost always is), else column 1."""
    if not line:
        return 1
    lines = source.splitlines()
    if line > len(lines):
        return 1
    match = _JINJA_OPEN.search(lines[line - 1])
    return match.start() + 1 if match else 1


def _syntax_error(result: LintResult, exc: TemplateError, sources: dict) -> None:
    where = exc.part
    if exc.line:
        where += f" line {exc.line} column {_column(sources.get(exc.part, ''), exc.line)}"
    result.error(
        "syntax_error",
        exc.reason,
        where,
        "Correct the template at that place: every {{ needs }}, every {% if %} its"
        " {% endif %} and every {% for %} its {% endfor %}.",
    )


def _shown(item: str, rendered: str, *, html: bool) -> bool:
    return item in rendered or (html and str(escape(item)) in rendered)


_COMPLIANCE = (
    (
        "missing_unsubscribe",
        "the unsubscribe link",
        'Add a link to {{ unsubscribe_url }}, e.g. <a href="{{ unsubscribe_url }}">'
        "Unsubscribe</a>, or turn on the brand footer.",
    ),
    (
        "missing_preferences",
        "the email preferences link",
        'Add a link to {{ preferences_url }}, e.g. <a href="{{ preferences_url }}">'
        "Email preferences</a>, or turn on the brand footer.",
    ),
)


def _check_compliance(
    result: LintResult, ctx: dict, html: str, text: str, footer: bool, reader: _Reader
) -> None:
    address = (ctx["organisation"].get("address") or "").strip()
    if not address:
        result.error(
            "missing_postal_address",
            "the organisation has no postal address, and every marketing email must show one",
            "organisation",
            "Set the postal address under Settings → Organisation (or MW_ORG_ADDRESS).",
        )
    if footer:
        return
    html = "".join(reader.without_comments)  # what a mail client shows: no comments
    wanted = [
        (code, label, fix, [ctx[key]])
        for (code, label, fix), key in zip(
            _COMPLIANCE, ("unsubscribe_url", "preferences_url"), strict=True
        )
    ]
    if address:
        lines = [line.strip() for line in address.splitlines() if line.strip()]
        wanted.append(
            (
                "missing_postal_address",
                "the organisation's postal address",
                "Add {{ organisation.address }} to the footer, or turn on the brand footer.",
                lines,
            )
        )
    for code, label, fix, items in wanted:
        parts = [
            part
            for part, rendered, is_html in (("html", html, True), ("text", text, False))
            if not all(_shown(item, rendered, html=is_html) for item in items)
        ]
        if parts:
            result.error(
                code,
                f"the rendered {' and '.join(parts)} part{'s do' if len(parts) > 1 else ' does'}"
                f" not show {label}",
                ", ".join(parts),
                fix,
            )


def _link_findings(result: LintResult, reader: _Reader, ctx: dict) -> None:
    own = {ctx["unsubscribe_url"], ctx["preferences_url"], ctx["view_online_url"]}
    seen: set[str] = set()
    for href in reader.links:
        if href in seen or href in own:
            continue
        seen.add(href)
        lower = href.lower()
        if lower.startswith("http://"):
            result.warn(
                "insecure_link",
                "the link is not HTTPS; mail clients and filters distrust plain HTTP",
                f"link {_short(href)}",
                "Use the https:// address of the same page.",
            )
        if lower.startswith(("http://", "https://")):
            host = (urlsplit(href).hostname or "").lower().removeprefix("www.")
            if host in URL_SHORTENERS:
                result.warn(
                    "url_shortener",
                    f"the link goes through the URL shortener {host}, which spammers use to"
                    " hide where links lead; many filters block them",
                    f"link {_short(href)}",
                    "Link to the full address of the page instead.",
                )


def _image_findings(result: LintResult, reader: _Reader, visible: str) -> None:
    for image in reader.images:
        if image["alt"] is None:
            src = image["src"]
            name = urlsplit(src).path.rstrip("/").rsplit("/", 1)[-1] or src or "(no src)"
            result.warn(
                "image_missing_alt",
                "the image has no alt text: readers who block images (and screen readers)"
                " see nothing",
                f"image {_short(name)}",
                'Add alt="…" describing the image (alt="" for a purely decorative one).',
            )
    count = len(reader.images)
    chars = len("".join(visible.split()))
    if count and chars < max(200, 100 * count):
        result.warn(
            "image_only",
            f"the message is mostly images: {count} image{'s' if count > 1 else ''} and"
            f" {chars} characters of text; filters distrust image-only mail and many readers"
            " block images",
            "html",
            "Put the message in text too (at least a few sentences), not only in images.",
        )


def lint(
    subject: str,
    html: str | None = None,
    mjml: str | None = None,
    text: str | None = None,
    *,
    footer: bool = False,
    first_message: bool = True,
) -> LintResult:
    """Lint a message: `html` or `mjml` (MJML is compiled first), optional `text`. With
    `footer` the brand footer will be appended; `first_message` is False for replies in a
    conversation the contact started (no deceptive_subject then)."""
    result = LintResult()
    subject = subject or ""
    text = text or ""
    _check_subject(result, subject, first_message)
    _check_spam(result, subject, "subject")
    for part, value in (("html", html), ("mjml", mjml), ("text", text)):
        if value and len(value) > MAX_SOURCE:
            result.error(
                "source_too_long",
                f"the {part} is {len(value):,} characters; at most {MAX_SOURCE:,}",
                part,
                "Shorten it: move long content to a web page and link to it.",
            )
    if result.errors and result.errors[-1]["code"] == "source_too_long":
        return result
    sources = {"subject": subject, "html": html or "", "mjml": mjml or "", "text": text}
    try:
        if mjml:
            html = compile_mjml(mjml)
        compiled = compile_template(subject or " ", inline_css(html or ""), text)
        ctx = sample_context()
        _, rendered, rendered_text = compiled.render(ctx)
    except TemplateError as exc:
        if exc.line or exc.part == "mjml":
            _syntax_error(result, exc, sources)
        elif exc.undefined:
            # Real contacts may have the data the sample contact lacks (the save and send
            # checks render for them): not an error, but the rendered checks cannot run.
            result.warn(
                "undefined_variable",
                f"{exc.reason}; the sample contact lacks this data, so the checks of the"
                " rendered message (links, images, compliance) were skipped",
                exc.part,
                "Give optional data a default, e.g."
                " {{ contact.attributes.plan|default('') }}, or guard it with {% if %}.",
            )
        else:
            result.error(
                "render_error",
                exc.reason,
                exc.part,
                "Remove what the message names: templates run in a sandbox with limits on"
                " time, loops and size, and may not reach Python internals.",
            )
        return result
    reader = _read(rendered)
    visible = "".join(reader.visible)
    _check_compliance(result, ctx, rendered, rendered_text, footer, reader)
    size = len(rendered.encode())
    if size > GMAIL_CLIP_BYTES:
        result.error(
            "html_too_large",
            f"the rendered HTML is {size / 1024:.1f} KB; Gmail clips messages above 102 KB"
            " and hides the rest, the unsubscribe link included",
            "html",
            "Shorten the message or its markup (inline styles, nested tables) below 100 KB.",
        )
    _check_spam(result, visible, "html")
    if text:
        _check_spam(result, rendered_text, "text")
    _image_findings(result, reader, visible)
    if not text:
        result.warn(
            "no_text_part",
            "there is no plain-text part: one will be generated from the HTML",
            "text",
            "Check the generated text in the preview, or write your own plain-text part.",
        )
    _link_findings(result, reader, ctx)
    if not "".join(reader.hidden_text).strip():
        result.warn(
            "missing_preheader",
            "there is no preheader: inboxes show the first words of the body next to the"
            " subject instead",
            "mjml" if mjml else "html",
            "Add <mj-preview>…</mj-preview> in MJML, or a hidden first element in HTML:"
            ' <div style="display:none">One line that completes the subject</div>.',
        )
    return result
