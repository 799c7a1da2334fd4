"""A clean interface (issue 27): every page of tests/page_table.py, rendered for the persona who
uses it with realistic data, shows a person no template text, no raw codes and no Python reprs;
refusals speak to their reader (staff plainly, the participant as "you"); a refused form comes
back with its values, the error summary at the top linking to each field, and each error next to
its field."""

import re
from html.parser import HTMLParser

import pytest
from page_table import PAGES, build_world, page_url, persona_user, signed_in

from turnpoint.journeys.models import DrugRelatedType, OffenceCategory, Source, State

# Tokens a person should never read: template syntax, Python's None and reprs, a JavaScript
# object, and any snake_case word (a choice's stored value such as economic_compulsive, or a
# field name such as drug_related_type). Scenario file names (simulator) end in .yaml and are
# what a scenario's `extends:` names, so they are shown as they are.
RAW = [
    re.compile(r"\{\{|\{%|\{#|%\}|\}\}|#\}"),
    re.compile(r"\bNone\b"),
    re.compile(r"\[object\b"),
    re.compile(r"<[A-Za-z_.]+(?: object)? at 0x|<QuerySet|\b(?:datetime|Decimal)\.?\w*\("),
    re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b(?!\.yaml)"),
]
# Where the words are data or code rather than the page's own: the simulator's YAML editor, a
# `<code>` name or example of what to type, and the simulator's charts, whose labels are the
# parameter names its tables show as code.
# An element marked `data-verbatim` quotes a data file as written (the simulator's sources).
SKIP_TEXT_IN = {"textarea", "code", "svg", "script", "style"}
SHOWN_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}


class VisibleText(HTMLParser):
    """The text of a page a person reads or a screen reader says: text nodes, the title, labels
    given as attributes and the values of buttons, without scripts, styles and textareas."""

    def __init__(self):
        super().__init__()
        self.parts, self._skipping = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        nested = bool(self._skipping) and tag == self._skipping[-1]
        if tag in SKIP_TEXT_IN or nested or "data-verbatim" in attrs:
            self._skipping.append(tag)
        for name in SHOWN_ATTRIBUTES & set(attrs):
            self.parts.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.parts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def raw_in(text: str) -> list[str]:
    return sorted({m.group(0) for pattern in RAW for m in pattern.finditer(text)})


@pytest.fixture
def world(users, programmes):
    return build_world(users, programmes)


def fetch(client, users, world, page):
    user = persona_user(users, world, page.persona)
    signed_in(client, user, second_factor=page.second_factor)
    url = page_url(page, world)
    if page.post is not None:
        return client.post(url, page.form(world))
    return client.get(url)


def test_the_detector_finds_what_it_looks_for():
    html = (
        "<p>{{ participant.name }}</p><p title='economic_compulsive'>x</p><p>None</p>"
        "<p>&lt;Participant object at 0x7f&gt;</p><textarea>extends: ew_baseline</textarea>"
    )
    assert raw_in(visible_text(html)) == [
        "<Participant object at 0x",
        "None",
        "economic_compulsive",
        "{{",
        "}}",
    ]
    assert raw_in("Start from ew_baseline.yaml. Economic-compulsive offence") == []


def test_every_page_answers_as_the_table_says_and_shows_no_raw_text(client, users, world):
    problems = []
    for page in PAGES:
        response = fetch(client, users, world, page)
        if response.status_code != page.status:
            problems.append(f"{page.name}: status {response.status_code}, not {page.status}")
            continue
        found = raw_in(visible_text(response.content.decode()))
        if found:
            problems.append(f"{page.name}: {found}")
    assert problems == [], "\n".join(problems)


def test_choice_values_on_the_participant_page_are_shown_as_their_labels(client, users, world):
    client.force_login(users["coordinator"])
    text = visible_text(client.get(f"/participants/{world['participant']}/").content.decode())
    assert DrugRelatedType.ECONOMIC_COMPULSIVE.label in text
    assert OffenceCategory("acquisitive").label in text
    assert Source("police").label in text
    assert State.EPISODE.value not in re.findall(r"\b[a-z_]+\b", text.replace("episode", ""))


def test_portal_pages_and_refusals_address_the_participant(client, users, world):
    for page in PAGES:
        if page.persona != "participant":
            continue
        text = visible_text(fetch(client, users, world, page).content.decode())
        assert "caseload" not in text, page.name
        assert re.search(r"\b[Yy]ou(r)?\b", text), page.name
        if page.status >= 400 or page.url_name == "web:account_sessions":
            assert "Back to your record" in text, page.name


def test_staff_refusals_say_why_and_lead_back_to_the_caseload(client, users, world):
    for page in PAGES:
        if page.persona in ("participant", "anonymous") or page.status not in (403, 404):
            continue
        text = visible_text(fetch(client, users, world, page).content.decode())
        assert "caseload" in text, page.name


def test_a_refused_form_keeps_its_values_and_links_each_error_to_its_field(client, users):
    client.force_login(users["coordinator"])
    response = client.post(
        "/referrals/new/",
        {"given_name": "Robin", "family_name": "", "offence_summary": "Took bread."},
    )
    assert response.status_code == 400
    html = response.content.decode()
    start = html.index("govuk-error-summary")
    summary = html[start : html.index("</ul>", start)]
    # The summary opens the page's content, before the form, and each of its links jumps to a
    # field on the page.
    main = html.index('id="main-content"')
    assert main < start < html.index("<form", main)
    targets = re.findall(r'href="#([\w-]+)"', summary)
    assert "family_name" in " ".join(targets)
    for target in targets:
        assert f'id="{target}"' in html, target
    # The error is next to its field, and what was typed is still there.
    assert re.search(r'id="id_family_name-error"', html)
    assert 'value="Robin"' in html
    assert "Took bread." in html


def test_a_refused_filter_links_to_its_field_and_keeps_what_was_typed(client, users):
    client.force_login(users["administrator"])
    response = client.get("/audit/", {"user": "judge", "from": "last week"})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#from">The start date must be a date like 2026-01-31.</a>' in html
    assert re.search(r'<p id="from-error" class="govuk-error-message">', html)
    assert re.search(r'id="from" name="from"[^>]*aria-describedby="from-error"', html)
    assert 'value="last week"' in html and 'value="judge"' in html
