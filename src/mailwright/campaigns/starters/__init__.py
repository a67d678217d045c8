"""The starter library of service templates (SPEC §5.3), localized in the six product
languages. One JSON file per template in this directory:

    {
      "key": "password-reset",                  # the API's template key
      "name": "Password reset",
      "description": "…what it is for…",
      "fields": {                                # the data the message needs (validated)
        "reset_url": {"type": "url", "required": true,
                      "description": "…", "example": "https://…"},
        "items": {"type": "list", "required": true, "description": "…",
                  "items": {"name": {"type": "string", "required": true, …}, …},
                  "example": [{…}]},
        …
      },
      "body": "MJML inside <mj-body> (sections/columns) with [[string]] placeholders and
               runtime Jinja ({{ data.reset_url }}, {% for item in data['items'] %}, …)",
      "text": "the plain-text part, same placeholders",
      "strings": {"en": {"subject": "…", "preheader": "…", …}, "pl": {…}, "tr": {…},
                  "es": {…}, "vi": {…}, "bg": {…}}
    }

Field types: string, integer, number, boolean, url, email, date (YYYY-MM-DD), datetime
(ISO 8601), list (with "items": fields of each element), object (with "fields").

Building a language: every [[name]] in body/text/subject is replaced by strings[lang][name]
(strings may hold runtime Jinja such as {{ data.order_number }}); the body is placed into
_layout.mjml (which has [[preheader]], [[body]] and the organisation footer) and compiled
with MRML. `sync()` writes every starter into Template (starter=True; the English version)
and TemplateTranslation (the other five) and is run after migrate.
"""
