"""POST /api/v1/templates/lint: the compliance and quality lint (campaigns.lint) of a message
that need not be saved, with the sending-setup warnings for a From address when one is
given. Every code is described in docs/lint.md."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import Field, StrictBool, model_validator

from mailwright.api.errors import ApiError
from mailwright.api.schemas import In
from mailwright.campaigns.lint import lint
from mailwright.campaigns.templates import MAX_SOURCE
from mailwright.delivery.setup_lint import setup_findings

router = Router(tags=["templates"])


class TemplateLintIn(In):
    subject: str = Field(max_length=998)
    html: str | None = Field(None, max_length=MAX_SOURCE)
    mjml: str | None = Field(None, max_length=MAX_SOURCE)
    text: str | None = Field(None, max_length=MAX_SOURCE)
    footer: StrictBool = Field(
        False, description="the brand footer will be appended (it adds what is missing)"
    )
    from_email: str | None = Field(
        None, max_length=320, description="also check the sending setup for this From address"
    )

    @model_validator(mode="after")
    def _one_source(self):
        if self.html is not None and self.mjml is not None:
            raise ApiError(422, "invalid", "give 'html' or 'mjml', not both", "mjml")
        if not (self.html or self.mjml):
            raise ApiError(422, "invalid", "give 'html' or 'mjml' (neither was given)", "html")
        return self


class FindingOut(Schema):
    code: str
    message: str
    where: str
    fix: str


class TemplateLintOut(Schema):
    errors: list[FindingOut]
    warnings: list[FindingOut]


@router.post("/lint", response=TemplateLintOut)
def lint_template(request, data: TemplateLintIn):
    """Errors block sending (missing_unsubscribe, deceptive_subject, …); warnings do not."""
    found = lint(data.subject, html=data.html, mjml=data.mjml, text=data.text, footer=data.footer)
    if data.from_email:
        if "@" not in data.from_email:
            raise ApiError(422, "invalid", "from_email: not an email address", "from_email")
        found.warnings.extend(setup_findings(data.from_email))
    return found.as_dict()
