"""The fast form reader gives exactly what urllib's strict parse_qsl gives, on any body."""

import json
from urllib.parse import parse_qsl, quote, quote_plus

from hypothesis import given
from hypothesis import strategies as st

from ticketbot.http.forms import parse_form


def urllib_reading(text: str) -> dict | str:
    if not text:
        return {}
    try:
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return "refused"


def fast_reading(text: str) -> dict | str:
    try:
        return parse_form(text)
    except ValueError:
        return "refused"


# Bodies made of the characters that matter: escapes whole and broken, "=", "&", "+", line
# breaks, non-ASCII, and plain text.
pieces = st.sampled_from(
    ["%", "%4", "%41", "%e9", "%C3%A9", "%zz", "%3D", "=", "&", "+", "\n", "\r", "é", "a", "Z"]
)


@given(st.lists(pieces, max_size=30).map("".join))
def test_any_body_reads_as_urllib_reads_it(text):
    assert fast_reading(text) == urllib_reading(text)


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=5))
def test_any_encoded_form_reads_back(fields):
    text = "&".join(f"{quote_plus(name)}={quote_plus(value)}" for name, value in fields.items())
    assert fast_reading(text) == urllib_reading(text)
    if text:
        assert parse_form(text) == fields


def test_an_interaction_payload_reads_back_as_its_json():
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "name": "José"},
        "actions": [{"value": "a=b&c%d+e", "text": "50% done ✓\nnext line"}],
    }
    text = "payload=" + quote(json.dumps(payload, ensure_ascii=False), safe="")
    assert json.loads(parse_form(text)["payload"]) == payload


def test_a_part_without_equals_is_refused():
    assert fast_reading("payload") == "refused"
    assert fast_reading("a=1&&b=2") == "refused"
