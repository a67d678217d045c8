"""Benchmark: the per-recipient cost of composing a campaign message (delivery.compose), split
into its steps, for a realistic ~10 KB personalized newsletter (MJML compiled by MRML) with 10
tracked links and an open pixel, compiled once per campaign (Composer.compiled).

Per recipient, in µs (CPU time, time.process_time_ns), median of --runs runs of N recipients:
  context   recipient_context: the signed unsubscribe/preferences/view-online tokens
  render    CompiledTemplate.render_watching: Jinja, subject + HTML + text (the target: <100 µs)
  tracking  tracked_links.fill: click and open tokens into the rendered parts
  assemble  OutgoingMessage + mime.assemble: the message bytes
  dkim      Composer.sign with an Ed25519 key (reported separately; --no-dkim to skip)
  compose   the whole Composer.compose, as the worker calls it (DKIM included when on)
Interleaved in the same runs, the baseline: `compile_template(...).render()` of a 10 KB static
template (no expressions), and listmonk's ~644 µs of worker CPU per message for its whole send
path (../shared/PERFORMANCE.md, "The product itself", measured on this machine kind).

Usage: python bench/render.py [--recipients 5000] [--runs 5] [--no-dkim]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

LISTMONK_US = 644  # ../shared/PERFORMANCE.md: listmonk (Go), worker CPU µs/msg, whole send path

SECTION = """
<mj-section padding="0 24px"><mj-column>
  <mj-image src="https://cdn.example.com/img/{n}.jpg" alt="Story {n}" href="https://shop.example.com/story/{n}?utm_source=news" />
  <mj-text font-size="20px" font-weight="700">{{{{ stories[{i}] }}}}</mj-text>
  <mj-text line-height="1.6">Dear {{{{ contact.first_name|default("reader") }}}}, this week's story
  number {n} is about the things you care about in {{{{ contact.attributes.city|default("your city") }}}}.
  Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut
  labore et dolore magna aliqua. <a href="https://blog.example.com/{n}">Ut enim ad minim</a>
  veniam, quis nostrud exercitation.</mj-text>
  <mj-button href="https://shop.example.com/offer/{n}" background-color="#2563eb">Read more</mj-button>
</mj-column></mj-section>"""  # noqa: E501 - MJML as written

MJML = (
    "<mjml><mj-head><mj-title>{{ campaign.subject }}</mj-title>"
    "<mj-preview>News for {{ contact.first_name|default('you') }}</mj-preview>"
    "<mj-attributes><mj-all font-family='Helvetica, Arial, sans-serif' /></mj-attributes>"
    "</mj-head><mj-body background-color='#f3f4f6'>"
    "<mj-section><mj-column><mj-text font-size='24px'>Hello {{ contact.name|default('there') }}"
    "</mj-text>{% if contact.attributes.plan == 'pro' %}<mj-text>Thanks for being a Pro member"
    " since {{ contact.created_at|date('long') }}.</mj-text>{% endif %}</mj-column></mj-section>"
    "{% set stories = ['Spring collection', 'Behind the scenes', 'Customer of the month',"
    " 'Tips and tricks', 'Events near you', 'Our partners', 'What is next'] %}"
    + "".join(SECTION.format(n=n, i=n - 1) for n in range(1, 4))
    + "<mj-section><mj-column><mj-social><mj-social-element name='facebook'"
    " href='https://facebook.com/example'>Facebook</mj-social-element></mj-social>"
    "<mj-text font-size='12px'>{{ organisation.name }}, {{ organisation.address }} ·"
    " <a href='{{ unsubscribe_url }}'>Unsubscribe</a> · <a href='{{ preferences_url }}'>"
    "Preferences</a> · <a href='{{ view_online_url }}'>View online</a></mj-text>"
    "</mj-column></mj-section></mj-body></mjml>"
)


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def setup(n: int, dkim: bool):
    os.environ.update(DJANGO_SETTINGS_MODULE="mailwright.settings", MW_LOG_LEVEL="WARNING")
    os.environ.setdefault("MW_ORG_ADDRESS", "1 Bench Street, 00-001 Testville")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from mailwright.campaigns.models import Campaign, Template
    from mailwright.campaigns.templates import compile_mjml
    from mailwright.contacts.models import Contact
    from mailwright.delivery import dkim as dkim_keys
    from mailwright.delivery.compose import Composer
    from mailwright.delivery.models import Delivery

    html = compile_mjml(MJML)
    tpl = Template.objects.create(
        name="Newsletter",
        subject="{{ contact.first_name|default('Hi') }}, your weekly news",
        html=html,
    )
    campaign = Campaign.objects.create(
        name="Bench",
        template=tpl,
        from_email="news@example.com",
        track_clicks=True,
        track_opens=True,
    )
    langs = ["en", "pl", "tr", "es", "vi", "bg"]
    now = timezone.now()
    contacts = [
        Contact(
            id=i + 1,
            email=f"person{i}@example.com",
            name=f"Person Number{i}",
            language=langs[i % 6],
            time_zone="Europe/Warsaw",
            attributes={"city": "Kraków", "plan": "pro" if i % 3 == 0 else "free"},
            tags=["vip"] if i % 20 == 0 else [],
            created_at=now,
        )
        for i in range(n)
    ]
    deliveries = []
    for i, c in enumerate(contacts):
        d = Delivery(id=i + 1, email=c.email, domain="example.com", campaign=campaign, contact=c)
        deliveries.append(d)
    composer = Composer()
    composer.compiled(campaign)  # compiled once per campaign: inline CSS, links, Jinja
    if dkim:
        key = dkim_keys.generate_key("example.com", dkim_keys.ED25519)
        composer.refresh(composer._org(), {"example.com": dkim_keys.DkimSigner(key)})
    log(f"template: {len(html):,} characters of HTML after MJML, 10 tracked links")
    return composer, campaign, deliveries, html


def steps(composer, campaign, deliveries) -> dict[str, float]:
    """µs per recipient of each step (the steps of Composer.compose, timed one by one)."""
    from mailwright.campaigns.rendering import recipient_context
    from mailwright.delivery import tracked_links
    from mailwright.delivery.mime import OutgoingMessage, assemble, make_message_id

    org = composer._org()
    compiled = composer.compiled(campaign)
    t = dict.fromkeys(("context", "render", "tracking", "assemble", "dkim"), 0)
    clock = time.process_time_ns
    for d in deliveries:
        a = clock()
        ctx = recipient_context(
            d.contact, campaign, {"name": org.name, "address": org.postal_address}
        )
        watch = (ctx["unsubscribe_url"], ctx["preferences_url"], ctx["organisation"]["address"])
        b = clock()
        subject, html, text, _, _ = compiled.render_watching(ctx, watch)
        c = clock()
        macs: dict = {}
        html = tracked_links.fill(html, d.id, campaign.id, macs=macs)
        text = tracked_links.fill(text, d.id, campaign.id, html=False, macs=macs)
        e = clock()
        msg = OutgoingMessage(
            from_email="news@example.com",
            from_name="News",
            to_email=d.email,
            to_name=d.contact.name,
            subject=subject,
            html=html,
            text=text,
            message_id=make_message_id("example.com", d.id),
        )
        data = assemble(msg)
        f = clock()
        composer.sign("news@example.com", data)
        g = clock()
        t["context"] += b - a
        t["render"] += c - b
        t["tracking"] += e - c
        t["assemble"] += f - e
        t["dkim"] += g - f
    return {k: v / len(deliveries) / 1000 for k, v in t.items()}


def whole(composer, deliveries) -> float:
    start = time.process_time_ns()
    for d in deliveries:
        composer.compose(d)
    return (time.process_time_ns() - start) / len(deliveries) / 1000


def baseline(n: int, static) -> float:
    from mailwright.campaigns.rendering import sample_context

    ctx = sample_context()
    start = time.process_time_ns()
    for _ in range(n):
        static.render(ctx)
    return (time.process_time_ns() - start) / n / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-dkim", action="store_true")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="mw-bench-render-")
    os.environ["MW_DATA_DIR"] = data_dir
    try:
        composer, campaign, deliveries, html = setup(args.recipients, not args.no_dkim)
        from mailwright.campaigns.rendering import compile_template

        filler = "<p>" + "Static newsletter text without any expressions. " * 20 + "</p>\n"
        static_html = "<html><body>" + filler * (10_000 // len(filler)) + "</body></html>"
        static = compile_template("Static subject", static_html, "Static text")
        rows = []
        for run in range(args.runs):  # interleaved: baseline, steps, whole compose
            base = baseline(args.recipients, static)
            split = steps(composer, campaign, deliveries)
            total = whole(composer, deliveries)
            rows.append({"baseline": base, **split, "compose": total, "load": os.getloadavg()[0]})
            log(f"run {run + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in rows[-1].items()))
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(
            f"\n{args.recipients:,} recipients × {args.runs} runs (median), {len(html):,}-character"
            f" HTML, {platform.python_implementation()} {platform.python_version()},"
            f" {os.cpu_count()} CPUs, loadavg during runs {min(r['load'] for r in rows):.2f}–"
            f"{max(r['load'] for r in rows):.2f}\n"
        )
        print("| step | µs per recipient (CPU) | ÷ same-run baseline | ÷ listmonk 644 µs |")
        print("|---|---:|---:|---:|")
        labels = {
            "baseline": "baseline: 10 KB static template, render()",
            "context": "context (signed tokens)",
            "render": "**render** (Jinja: subject, HTML, text)",
            "tracking": "tracking fill (10 links + pixel)",
            "assemble": "MIME assemble",
            "dkim": "DKIM sign (Ed25519)" if not args.no_dkim else "DKIM sign (off)",
            "compose": "whole Composer.compose",
        }
        for key, label in labels.items():
            print(
                f"| {label} | {med[key]:.1f} | {med[key] / med['baseline']:.2f}× |"
                f" {med[key] / LISTMONK_US:.2f} |"
            )
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
