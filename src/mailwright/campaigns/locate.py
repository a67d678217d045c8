"""Where in a template's source an error is: the line (from the render's traceback, which
Jinja rewrites to template lines) and the column of the failing expression in that line, e.g.
where the undefined name stands. Columns are 1-based, as editors count them."""

from __future__ import annotations

import re

from jinja2 import meta, nodes

_UNDEFINED_NAME = re.compile(r"^'([^']+)' is undefined")
_MISSING_ATTR = re.compile(r"has no (?:attribute )?'([^']+)'")
_TAG = re.compile(r"\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)")


def template_line(exc: BaseException) -> int | None:
    """The template line the exception was raised on (the innermost template frame)."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def column(source: str, line: int | None, message: str) -> int | None:
    """The 1-based column, in `line` of `source`, of what `message` is about: the undefined
    name, the missing attribute, else the first expression or tag on the line (where the
    expression inside the braces starts)."""
    lines = source.splitlines()
    if not line or line > len(lines):
        return None
    text = lines[line - 1]
    tags = [m.span() for m in _TAG.finditer(text)] or [(0, len(text))]
    patterns = []
    if m := _UNDEFINED_NAME.search(message):
        patterns.append(rf"(?<![\w.'\"]){re.escape(m.group(1))}\b")
    if m := _MISSING_ATTR.search(message):
        name = re.escape(m.group(1))
        patterns += [rf"(?<=\.){name}\b", rf"(?<=\[)\s*['\"]{name}['\"]"]
    for pattern in patterns:
        for start, end in tags:
            if found := re.compile(pattern).search(text, start, end):
                return found.start() + 1 + (len(found.group()) - len(found.group().lstrip()))
    first = _TAG.search(text)
    if first is None:
        return None
    pos = first.start() + 2  # the expression itself, after "{{" or "{%" (and "-", spaces)
    while pos < len(text) and text[pos] in " -+":
        pos += 1
    return pos + 1


def unknown_names(env, source: str, known) -> list[tuple[str, int]]:
    """Names the template reads at its top level that are neither in `known` nor set by the
    template itself, with the line each is first read on."""
    ast = env.parse(source)
    undeclared = meta.find_undeclared_variables(ast) - set(known)
    if not undeclared:
        return []
    found = {}
    for node in ast.find_all(nodes.Name):
        if node.ctx == "load" and node.name in undeclared and node.name not in found:
            found[node.name] = node.lineno
    return sorted(found.items(), key=lambda item: item[1])
