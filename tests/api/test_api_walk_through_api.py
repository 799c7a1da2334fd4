"""The walk-through of docs/api.md, "From intake to an active episode", replayed exactly as
written: its curl commands are parsed out of the document and sent through Django's test client
with a coordinator's token, each answering the status the document states. If the document and
the API drift apart, this fails."""

import contextlib
import json
import re
import shlex
from pathlib import Path

from turnpoint.journeys.models import Episode, Referral
from turnpoint.sharing.models import ParticipationConsent

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
SECTION = "## From intake to an active episode\n"
SERVER = "http://127.0.0.1:8000"
ASSIGN_CURL = re.compile(r"^(\w+)=\$\((curl .*) \| jq -r '([^']+)'\)$")
ASSIGN_FILE = re.compile(r"^(\w+)=\$\(jq -r '([^']+)' ([\w.-]+)\)$")
STATUS = re.compile(r"^# (\d{3})\b")


def walk_through_lines() -> list[str]:
    """The section's shell commands and comments, one per item, in order: a line ending in a
    backslash or inside an open quote goes on on the next."""
    text = DOC.read_text()
    assert SECTION in text, "docs/api.md has lost its walk-through"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        buffer = ""
        for raw in block.splitlines():
            buffer = f"{buffer}\n{raw}" if buffer else raw.strip()
            if buffer.endswith("\\"):
                buffer = buffer[:-1].rstrip() + " "
                continue
            try:
                shlex.split(buffer, comments=True)
            except ValueError:
                continue  # an open quote: the command goes on
            if buffer.strip():
                lines.append(buffer.strip())
            buffer = ""
        assert not buffer, f"an unfinished command in the walk-through: {buffer}"
    return lines


def jq(document, path: str):
    """The value at a jq path of the form `.a.b[0].c`."""
    assert re.fullmatch(r"(\.\w+|\[\d+\])+", path), f"the test reads only simple jq paths: {path}"
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        document = document[name] if name else document[int(index)]
    return document


def substitute(text: str, names: dict[str, str]) -> str:
    def value(match):
        assert match.group(1) in names, f"${match.group(1)} is used before it is set"
        return names[match.group(1)]

    return re.sub(r"\$\{?(\w+)\}?", value, text)


class Replay:
    def __init__(self, client):
        self.client = client
        self.names: dict[str, str] = {}
        self.files: dict[str, object] = {}
        self.sent: list[tuple[str, str, dict | None]] = []
        self.last = None
        self.last_checked = True

    def curl(self, command: str):
        assert self.last_checked, "each curl in the walk-through states its status (# NNN)"
        words = shlex.split(command)
        assert words[0] == "curl"
        method, url, body, headers, output = "GET", None, None, {}, None
        words = iter(words[1:])
        for word in words:
            if word in ("-s", "-i"):
                continue
            if word == "-X":
                method = next(words)
            elif word == "-H":
                name, _, value = next(words).partition(":")
                headers[name.strip()] = value.strip()
            elif word == "-d":
                body = json.loads(substitute(next(words), self.names))
            elif word == "-o":
                output = next(words)
            else:
                assert url is None and word.startswith(SERVER), f"unexpected word: {word}"
                url = substitute(word.removeprefix(SERVER), self.names)
        assert headers.pop("Authorization") == "Bearer $TOKEN"
        if body is not None:
            assert headers.pop("Content-Type") == "application/json"
        if method == "POST":
            response = self.client.post(url, body, **headers)
        else:
            assert method == "GET" and body is None, (method, body)
            path, _, query = url.partition("?")
            params = dict(pair.split("=", 1) for pair in query.split("&") if pair)
            response = self.client.get(path, params, **headers)
        self.sent.append((method, url.partition("?")[0], body))
        self.last, self.last_checked = response, False
        if output is not None:
            self.files[output] = response.json()
        return response

    def run(self, lines: list[str]):
        for line in lines:
            if match := STATUS.match(line):
                assert self.last is not None and not self.last_checked
                assert self.last.status_code == int(match.group(1)), (
                    self.sent[-1],
                    self.last.status_code,
                    self.last.content,
                )
                self.last_checked = True
            elif line.startswith("#"):
                continue
            elif line.startswith("curl "):
                self.curl(line)
            elif match := ASSIGN_CURL.match(line):
                name, command, path = match.groups()
                self.names[name] = str(jq(self.curl(command).json(), path))
            elif match := ASSIGN_FILE.match(line):
                name, path, file = match.groups()
                self.names[name] = str(jq(self.files[file], path))
            else:
                raise AssertionError(f"the walk-through has a line the test cannot replay: {line}")
        assert self.last_checked, "the last curl of the walk-through states no status"


def test_the_documented_walk_through_ends_in_an_active_episode(api_as):
    replay = Replay(api_as("coordinator"))
    replay.run(walk_through_lines())

    # It is the whole path, in the order the pathway takes it.
    posts = [(path.split("/")[-1], body) for method, path, body in replay.sent if method == "POST"]
    assert [path for path, _ in posts][:1] == ["participants"]
    steps = [body["to_state"] for path, body in posts if path == "transitions"]
    assert steps == ["screening", "eligibility", "assessment", "recommendation", "decision",
                     "episode"]  # fmt: skip
    kinds = [path for path, _ in posts]
    assert kinds.index("participation-consents") == len(kinds) - 2  # just before the episode

    # And it ends where it says it does.
    referral = Referral.objects.get(pk=int(replay.names["REFERRAL"]))
    assert referral.participant_id == int(replay.names["PARTICIPANT"])
    assert (referral.state, referral.imposed_disposal) == ("episode", "programme")
    episode = Episode.objects.get(referral=referral)
    assert (episode.is_active, episode.phase_number) == (True, 1)
    consent = ParticipationConsent.objects.get(referral=referral)
    assert consent.withdrawn_at is None and consent.recorded_by.username == "coordinator"
    listed = replay.last.json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == episode.pk and listed["items"][0]["is_active"] is True


def test_the_walk_through_needs_its_consent_step(api_as):
    """Without the consent to take part, the same commands stop before the episode."""
    lines = walk_through_lines()
    start = next(i for i, line in enumerate(lines) if "/participation-consents" in line)
    without = lines[:start] + lines[start + 2 :]  # the curl and its "# 201"
    replay = Replay(api_as("coordinator"))
    with contextlib.suppress(AssertionError):  # the episode's "# 201" is not met
        replay.run(without)
    assert replay.sent[-1][2] == {"to_state": "episode", "imposed_disposal": "programme"}
    assert replay.last.status_code == 400
    assert "participation_consent" in {e["field"] for e in replay.last.json()["errors"]}
    assert not Episode.objects.exists()
