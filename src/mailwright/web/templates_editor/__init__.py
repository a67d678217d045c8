"""Templates: the list, the editor (HTML or MJML with Jinja2 placeholders) and the preview.
(Not named `templates`: that is the Django templates directory next to it.)"""
