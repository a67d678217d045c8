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

Building a language (library.py): every [[name]] in body/text/subject is replaced by
strings[lang][name] (plain text; it may hold runtime Jinja such as {{ data.order_number }});
the body is placed into _layout.mjml (logo or organisation name, the white card the body's
sections sit in, [[preheader]], and the footer with the organisation's name and postal
address; its own strings are in _layout.json) and compiled with MRML, which writes the
styles inline. The text part gets the same footer. `sync()` writes every starter into
Template (starter=True; the English version) and TemplateTranslation (the other five); it
runs after migrate and skips starters whose source hash (kept in the stored MJML's first
line) has not changed.

Rules for the body: use data['items'] (data.items is the dict method), wrap Jinja
statements between MJML elements in <mj-raw>, put a promotional block in
`<mj-raw>{% call promo() %}</mj-raw> <mj-section>… <mj-raw>{% endcall %}</mj-raw>`.
Money and dates are strings the sender formats for the recipient ("€41.40",
"6 grudnia 2026"): the templates never format numbers or dates. Every data name a starter
uses must be declared in `fields` and every declared field used (tests/campaigns/
test_starters.py checks it, and renders each starter in each language with its examples).
"""
