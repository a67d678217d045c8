"""The survey report (count, distribution, average, NPS, comments), the Surveys pages and
the API, over answers recorded through the real action from real rating links."""

from __future__ import annotations

import pytest

from mailwright import tokens
from mailwright.audit.actors import Actor
from mailwright.campaigns.rendering import compile_template, sample_context
from mailwright.campaigns.templates import save_template
from mailwright.contacts.models import Contact
from mailwright.contacts.segments import compile_segment
from mailwright.surveys.models import Survey
from mailwright.surveys.report import report
from mailwright.surveys.responses import do_record_response, read_link
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db

BY = Actor.system("tests")


def answer(email: str, key: str, scale: str, score: int, comment=None):
    contact = make_contact(email)
    token = tokens.make("survey", {"k": key, "sc": scale, "s": score, "c": contact.id})
    return do_record_response(read_link(token), by=BY, comment=comment)


@pytest.fixture
def nps():
    # Ten people: 4 promoters (9, 10, 10, 9), 2 passives (7, 8), 4 detractors (0, 3, 6, 6).
    for i, score in enumerate([9, 10, 10, 9, 7, 8, 0, 3, 6, 6]):
        answer(
            f"p{i}@example.com",
            "nps",
            "nps",
            score,
            comment=f"comment {i}" if i in (1, 6) else None,
        )
    return Survey.objects.get(key="nps")


def test_nps_report_numbers(nps):
    r = report(nps)
    assert r["count"] == 10
    assert (r["promoters"], r["passives"], r["detractors"]) == (4, 2, 4)
    assert r["nps"] == 0  # 40 % promoters - 40 % detractors
    assert r["average"] == 6.8
    dist = {d["score"]: d["count"] for d in r["distribution"]}
    assert list(dist) == list(range(11))
    assert dist[10] == 2 and dist[6] == 2 and dist[1] == 0
    assert [c["comment"] for c in r["comments"]] == ["comment 6", "comment 1"]  # newest first


def test_a_changed_answer_moves_in_the_report(nps):
    answer("p6@example.com", "nps", "nps", 10)  # the 0 becomes a 10: a detractor now promotes
    r = report(nps)
    assert r["count"] == 10 and (r["promoters"], r["detractors"]) == (5, 3)
    assert r["nps"] == 20


def test_stars_report_has_no_nps():
    for i, score in enumerate([5, 4, 4]):
        answer(f"s{i}@example.com", "stars-q", "stars", score)
    r = report(Survey.objects.get(key="stars-q"))
    assert r["nps"] is None and r["average"] == 4.33
    assert [d["count"] for d in r["distribution"]] == [0, 0, 0, 2, 1]


def test_the_api_lists_surveys_and_gives_report_and_responses(api, nps):
    # The order-delivered starter's rating row made the "delivery" survey at migrate.
    surveys = {s["key"]: s for s in api.get("/surveys").json()}
    assert surveys["nps"]["responses"] == 10 and surveys["delivery"]["responses"] == 0
    assert surveys["nps"]["attribute"] == "survey_nps"
    r = api.get("/surveys/nps/report").json()
    assert r["nps"] == 0 and r["count"] == 10 and r["comments"][0]["comment"] == "comment 6"
    resp = api.get("/surveys/nps/responses?limit=3")
    assert resp.status_code == 200 and resp.headers["X-Total-Count"] == "10"
    assert len(resp.json()) == 3
    missing = api.get("/surveys/nope/report")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]["message"]
    assert api.get("/surveys/nps/report?comments=-1").status_code == 422


def test_the_surveys_page_shows_the_report(client, admin_user, nps):
    client.force_login(admin_user)
    listing = client.get("/surveys/").content.decode()
    assert 'href="/surveys/nps/"' in listing and ">Surveys</a>" in listing
    page = client.get("/surveys/nps/").content.decode()
    assert '<div data-metric="nps"><dt>NPS</dt><dd><span class="value">0</span>' in page
    assert "comment 6" in page and 'style="width:100%"' in page


def test_saving_settings_is_audited_and_the_scale_is_kept_once_answered(client, admin_user, nps):
    client.force_login(admin_user)
    data = {
        "name": "Would you recommend us?",
        "scale": "stars",
        "attribute": "",
        "question_pl": "Polecisz nas?",
    }
    response = client.post("/surveys/nps/", data)
    assert response.status_code == 400
    assert "cannot change once people have answered" in response.content.decode()
    data["scale"] = "nps"
    assert client.post("/surveys/nps/", data).status_code == 302
    survey = Survey.objects.get(key="nps")
    assert survey.name == "Would you recommend us?" and survey.question == {"pl": "Polecisz nas?"}


def test_a_template_using_the_row_creates_the_survey():
    save_template(
        name="Shipped",
        subject="Shipped",
        html='<p>Rate us</p>{{ survey_row("after-delivery", scale="nps", question="Likely?") }}',
    )
    survey = Survey.objects.get(key="after-delivery")
    assert survey.scale == "nps" and survey.question == {"en": "Likely?"}


def test_previews_render_inert_links():
    _, html, text = compile_template("s", '{{ survey_row("x1") }}').render(sample_context())
    assert html.count('href="#"') == 5 and "/s/" not in html and "/s/" not in text


def test_a_segment_finds_the_detractors_by_the_attribute(nps):
    tree = {"field": "attributes.survey_nps", "op": "lte", "value": 6}
    found = Contact.objects.filter(compile_segment(tree)).order_by("email")
    assert [c.email for c in found] == [f"p{i}@example.com" for i in (6, 7, 8, 9)]
