"""Template rendering in a sandboxed Jinja2 environment, compiled once per campaign.

The context names are stable (SPEC §4.2): contact, unsubscribe_url, preferences_url,
view_online_url, organisation, campaign, brand (the brand kit: logo_url, colours, footer_text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from django.conf import settings
from jinja2 import (
    StrictUndefined,
    TemplateSyntaxError,
    Undefined,
    UndefinedError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.utils import missing

from mailwright import tokens
from mailwright.campaigns import date_filters, locate
from mailwright.campaigns.render_budget import Budget, current
from mailwright.campaigns.sandbox import LimitedSandbox, RenderLimitError
from mailwright.campaigns.survey_links import survey_row
from mailwright.consent import organisation as org_settings
from mailwright.consent.brand import brand_context


class TemplateError(ValueError):
    """A template cannot be compiled or rendered; says where."""

    def __init__(
        self,
        message: str,
        *,
        part: str,
        line: int | None = None,
        column: int | None = None,
        undefined: bool = False,
        limit: bool = False,
        missing_attribute: bool = False,
    ) -> None:
        self.undefined = undefined  # failed only because the data lacked a name
        self.limit = limit  # broke a resource limit (sandbox.py)
        self.missing_attribute = missing_attribute  # a contact attribute some contacts lack
        where = f"{part}, line {line}" if line else part
        if line and column:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")
        self.part = part
        self.line = line
        self.column = column
        self.reason = message


class CheckUndefined(StrictUndefined):
    """The pre-send check's Undefined (presend.py): printing, iterating or computing with a
    missing name fails, as with StrictUndefined, but testing it does not, so
    `{% if contact.attributes.plan %}`, `== "pro"` and `|default("free")` pass."""

    __slots__ = ()
    __bool__ = Undefined.__bool__
    __eq__ = Undefined.__eq__
    __ne__ = Undefined.__ne__
    __hash__ = Undefined.__hash__

    def __init__(self, hint=None, obj=missing, name=None, exc=UndefinedError) -> None:
        if isinstance(obj, ContactAttributes):
            exc = MissingAttribute  # the save check tolerates these (contacts differ)
        super().__init__(hint, obj, name, exc)

    @property
    def _undefined_message(self) -> str:
        if isinstance(self._undefined_obj, ContactAttributes):
            return f"contact.attributes has no {self._undefined_name!r}"
        return super()._undefined_message


class MissingAttribute(UndefinedError):
    """A contact attribute the contact does not have."""


class ContactAttributes(dict):
    """contact.attributes in a checking render: marks which missing names are attributes."""

    __slots__ = ()


def _environment(autoescape: bool, undefined=Undefined) -> LimitedSandbox:
    env = LimitedSandbox(
        autoescape=select_autoescape(default=autoescape, default_for_string=autoescape),
        undefined=undefined,
        trim_blocks=False,
    )
    env.globals["survey_row"] = survey_row  # {{ survey_row("delivery", scale="stars") }}
    env.filters.update(date_filters.FILTERS)  # |date, |datetime (budget-aware, small output)
    return env


_HTML_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)
_CHECK_HTML_ENV = _environment(autoescape=True, undefined=CheckUndefined)
_CHECK_TEXT_ENV = _environment(autoescape=False, undefined=CheckUndefined)
# The names a marketing template may use at its top level (SPEC §4.2) besides globals.
CONTEXT_NAMES = frozenset(
    {
        "contact",
        "unsubscribe_url",
        "preferences_url",
        "view_online_url",
        "organisation",
        "campaign",
        "brand",
    }
)


@dataclass(frozen=True)
class CompiledTemplate:
    subject: object
    html: object
    text: object
    sources: tuple = ()  # (subject, html, text) sources: error columns are found in them

    def render(self, context: dict) -> tuple[str, str, str]:
        """Return (subject, html, text) for one recipient. The three parts share one budget
        (sandbox.py): MW_TEMPLATE_RENDER_SECONDS, loop iterations, characters produced."""
        subject, html, text, _, _ = self.render_watching(context, ())
        return subject, html, text

    def render_watching(self, context: dict, watch: tuple) -> tuple[str, str, str, int, int]:
        """`render`, also telling which of the `watch` values (bit 1 << i for watch[i]) the
        HTML and the text part printed as they are, e.g. {{ unsubscribe_url }}: what decides
        whether this recipient's message shows the compliance links (compose.py)."""
        b = Budget(settings.TEMPLATE_RENDER_SECONDS)
        if watch:
            b.watch = {id(value): 1 << i for i, value in enumerate(watch) if value}
        token = current.set(b)
        src = self.sources or ("", "", "")
        try:
            subject = _render_part("subject", self.subject, context, src[0])
            b.seen = 0
            html = _render_part("html", self.html, context, src[1])
            seen_html, b.seen = b.seen, 0
            text = _render_part("text", self.text, context, src[2])
            seen_text = b.seen
        finally:
            current.reset(token)
        # A subject is one line, whatever the data held.
        return " ".join(subject.split()), html, text, seen_html, seen_text


def _render_part(part: str, tpl, context: dict, source: str = "") -> str:
    try:
        return tpl.render(context)
    except RenderLimitError as exc:
        raise TemplateError(f"template limit: {exc}", part=part, limit=True) from None
    except RecursionError:
        raise TemplateError(
            "template limit: macros or loops nest too deeply", part=part, limit=True
        ) from None
    except MemoryError:
        raise TemplateError("template limit: out of memory", part=part, limit=True) from None
    except Exception as exc:  # a template bug must not crash a worker
        line = locate.template_line(exc)
        message = exc.args[0] if isinstance(exc, UndefinedError) and exc.args else str(exc)
        column = locate.column(source, line, message) if source and line else None
        kw = {"part": part, "line": line, "column": column}
        if isinstance(exc, SecurityError):
            raise TemplateError(f"not allowed in templates: {exc}", **kw) from None
        if isinstance(exc, UndefinedError):
            lacks = isinstance(exc, MissingAttribute)
            hint = "; give a fallback with |default(...) or test it with {% if %}"
            raise TemplateError(
                f"{message}{hint}",
                undefined=True,
                missing_attribute=lacks,
                **kw,
            ) from None
        if isinstance(exc, date_filters.DateFilterError):
            raise TemplateError(str(exc), **kw) from None
        raise TemplateError(f"{type(exc).__name__}: {exc}", **kw) from None


def compile_template(
    subject: str, html_source: str, text_source: str = "", *, strict: bool = False
) -> CompiledTemplate:
    """Compile the three parts; a syntax error names the part and the line. `strict`: for
    the checks (CheckUndefined), not for sending, which stays lenient."""
    text_source = text_source or html_to_text(html_source)
    html_env, text_env = (_CHECK_HTML_ENV, _CHECK_TEXT_ENV) if strict else (_HTML_ENV, _TEXT_ENV)
    compiled = []
    for part, env, source in (
        ("subject", text_env, subject),
        ("html", html_env, html_source),
        ("text", text_env, text_source),
    ):
        try:
            compiled.append(env.from_string(source))
        except TemplateSyntaxError as exc:
            raise TemplateError(exc.message or "syntax error", part=part, line=exc.lineno) from None
    return CompiledTemplate(*compiled, sources=(subject, html_source, text_source))


def check_names(subject: str, html_source: str, text_source: str = "", known=CONTEXT_NAMES):
    """A name the template uses that no context gives (`{{ contcat.name }}`) is a typo:
    refused at save, with its line and column."""
    for part, env, source in (
        ("subject", _CHECK_TEXT_ENV, subject),
        ("html", _CHECK_HTML_ENV, html_source),
        ("text", _CHECK_TEXT_ENV, text_source),
    ):
        if not source:
            continue
        unknown = locate.unknown_names(env, source, known | set(env.globals))
        if unknown:
            name, line = unknown[0]
            raise TemplateError(
                f"'{name}' is not a template variable (did you mean one of"
                f" {', '.join(sorted(known))}?)",
                part=part,
                line=line,
                column=locate.column(source, line, f"'{name}' is undefined"),
            )


def validate_template(
    subject: str,
    html_source: str,
    text_source: str = "",
    contexts: list[dict] | None = None,
    *,
    strict: bool = False,
) -> None:
    """Compile, then render once per context (default: the sample contact); raise
    TemplateError if compiling or any render fails. Callers pass realistic contacts
    (templates.check_contexts), so work that depends on the data is exercised too.
    `strict` (marketing templates): a name the template uses that is not a context name, or
    a key `contact`, `organisation` or `campaign` does not have, is an error too; only a
    contact attribute some contacts lack is not (the pre-send check, presend.py, is where
    missing attributes fail, against the real audience)."""
    if not subject.strip():
        raise TemplateError("the subject is empty", part="subject")
    compiled = compile_template(subject, html_source, text_source, strict=strict)
    if strict:  # after compiling: a syntax error is reported as one, with its line
        check_names(subject, html_source, text_source or html_to_text(html_source))
    for context in contexts or [sample_context()]:
        try:
            compiled.render(mark_attributes(context) if strict else context)
        except TemplateError as exc:
            # A contact may lack a custom attribute; a template that needs one is not wrong
            # for that. Anything else (limits, sandbox violations, type errors) is.
            if not exc.undefined or (strict and not exc.missing_attribute):
                raise


def mark_attributes(context: dict) -> dict:
    """A copy of `context` whose contact.attributes is a ContactAttributes (CheckUndefined
    then knows a missing name there is a missing attribute)."""
    contact = dict(context.get("contact") or {})
    contact["attributes"] = ContactAttributes(contact.get("attributes") or {})
    return {**context, "contact": contact}


_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "table", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._href: str | None = None
        self._hidden: tuple[str, int] | None = None  # a display:none element (a preheader)

    def handle_starttag(self, tag, attrs):
        if self._hidden is not None:
            name, depth = self._hidden
            self._hidden = (name, depth + 1) if tag == name else self._hidden
            return
        if _HIDDEN.search(dict(attrs).get("style") or "") and tag not in _VOID_TAGS:
            self._hidden = (tag, 1)  # hidden in every client: not in the text part either
            return
        if tag in {"style", "script", "head", "title"}:
            self._skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if self._hidden is not None:
            name, depth = self._hidden
            if tag == name:
                self._hidden = (name, depth - 1) if depth > 1 else None
            return
        if tag in {"style", "script", "head", "title"} and self._skip:
            self._skip -= 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "a" and self._href:
            if not self._href.startswith("#"):
                self.parts.append(f" ({self._href})")
            self._href = None

    def handle_data(self, data):
        if not self._skip and self._hidden is None:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(source: str) -> str:
    """A readable plain-text part from HTML; Jinja expressions pass through untouched."""
    parser = _TextExtractor()
    parser.feed(source)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def contact_context(contact) -> dict:
    return {
        "id": contact.id,
        "email": contact.email,
        "name": contact.name,
        "first_name": contact.first_name,
        "language": contact.language,
        "attributes": dict(contact.attributes or {}),
        "tags": list(contact.tags or []),
        "time_zone": contact.time_zone,
        "created_at": contact.created_at,
        "birthday": contact.birthday,
        "anniversary": contact.anniversary,
    }


def recipient_context(
    contact, campaign, organisation: dict | None = None, brand: dict | None = None
) -> dict:
    token_payload = {"c": contact.id}
    if campaign is not None:
        token_payload["m"] = campaign.id
    base = settings.BASE_URL
    ctx = {
        "contact": contact_context(contact),
        "unsubscribe_url": f"{base}/u/{tokens.make('unsubscribe', token_payload)}",
        "preferences_url": f"{base}/p/{tokens.make('preferences', {'c': contact.id})}",
        "view_online_url": "",
        "organisation": organisation or _organisation(),
        "brand": brand if brand is not None else brand_context(),
        "campaign": {"id": campaign.id, "name": campaign.name, "subject": campaign.template.subject}
        if campaign
        else {},
    }
    if campaign is not None:
        view = tokens.make("view_online", {"c": contact.id, "m": campaign.id})
        ctx["view_online_url"] = f"{base}/v/{view}"
    return ctx


def sample_context() -> dict:
    base = settings.BASE_URL
    return {
        "contact": {
            "id": 0,
            "email": "sample@example.com",
            "name": "Sam Example",
            "first_name": "Sam",
            "language": "en",
            "attributes": {},
            "tags": [],
            "time_zone": "UTC",
            "created_at": None,
            "birthday": None,
            "anniversary": None,
        },
        "unsubscribe_url": f"{base}/u/sample",
        "preferences_url": f"{base}/p/sample",
        "view_online_url": f"{base}/v/sample",
        "organisation": _organisation(),
        "brand": brand_context(),
        "campaign": {"id": 0, "name": "Sample", "subject": "Sample"},
    }


def _organisation() -> dict:
    return org_settings.context()
