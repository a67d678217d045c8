"""Messages the lint tests share: a realistic clean newsletter and its building blocks."""

PREHEADER = (
    '<div style="display:none;max-height:0;overflow:hidden">'
    "Three new trails, a members' evening and the autumn timetable.</div>"
)

IMAGE = (
    '<img src="https://example.org/img/footbridge.jpg"'
    ' alt="The repaired footbridge near the mill" width="560">'
)

BODY_TEMPLATE = """
<h1>Autumn at the Riverside Walking Club</h1>
<p>Hello {{ contact.first_name|default('there') }},</p>
<p>The evenings are getting shorter, but the paths along the river have never looked
better. This month we walked forty kilometres together, welcomed twelve new members and
finally repaired the footbridge near the old mill with the help of the town council.</p>
{IMAGE}
<h2>What is coming up</h2>
<ul>
  <li>Saturday 12 October: the lakeside loop, 14 km, meeting at the station at 9:00.</li>
  <li>Thursday 17 October: members' evening with slides from the summer trip.</li>
  <li>Sunday 27 October: a short family walk, 5 km, with a picnic if the weather holds.</li>
</ul>
<p>The full programme and the route maps are on
<a href="https://example.org/programme">our programme page</a>. Please tell us if you
would like to lead a walk next spring.</p>
<p>See you on the path,<br>Anna, for the committee</p>
"""
BODY = BODY_TEMPLATE.replace("{IMAGE}", IMAGE)

FOOTER = """
<p style="font-size:12px">You receive this because you joined the club's newsletter.
<a href="{{ unsubscribe_url }}">Unsubscribe</a> ·
<a href="{{ preferences_url }}">Email preferences</a><br>
{{ organisation.name }}, {{ organisation.address }}</p>
"""

CLEAN_HTML = f"<html><body>{PREHEADER}{BODY}{FOOTER}</body></html>"

CLEAN_TEXT = """Autumn at the Riverside Walking Club

Hello {{ contact.first_name|default('there') }},

This month we walked forty kilometres together and repaired the footbridge near the mill.

Coming up: the lakeside loop (12 October), members' evening (17 October), family walk
(27 October). Programme: https://example.org/programme

Unsubscribe: {{ unsubscribe_url }}
Email preferences: {{ preferences_url }}
{{ organisation.name }}, {{ organisation.address }}
"""

CLEAN_SUBJECT = "Autumn walks, a repaired footbridge and the members' evening"

CLEAN_MJML = f"""<mjml>
  <mj-head><mj-preview>Three new trails and the autumn timetable</mj-preview></mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text>{BODY_TEMPLATE.replace("{IMAGE}", "")}</mj-text>
      <mj-image src="https://example.org/img/footbridge.jpg" alt="The repaired footbridge" />
      <mj-text>{FOOTER}</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""
