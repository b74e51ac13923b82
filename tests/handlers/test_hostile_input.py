"""Arbitrary text through the running app: always a valid answer, never a 500, never a
half-written ticket."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.support.slack_payloads import plain
from ticketbot.ids import InputId
from ticketbot.store.models import Ticket, TicketChange

MARKUP = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<@U0AGT0001>",
        "<#C0SUPPORT1>",
        "&amp;",
        "*bold*",
        "`code`",
        "\u202e",
        "\x00",
        "\x1b[31m",
        "🎫",
        "\n\n",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=40), MARKUP), max_size=12).map("".join)
HUGE = st.integers(min_value=3001, max_value=10_000).map(lambda n: ("é<!here>" * n)[:n])
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def mrkdwn_texts(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "mrkdwn" else []
        return own + [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def _answered(slack, before: int) -> None:
    """The app answered through Slack one way or another (a modal or an ephemeral reply)."""
    slack.fake.wait_for(
        None, before + 1, predicate=lambda c: c.method in ("response_url", "views.open")
    )


@SETTINGS
@given(
    text=st.one_of(
        TEXT,
        HUGE,
        st.sampled_from(
            ["list <!channel>", "show 99999999999", "search %", "#0", "search ' OR 1=1 --"]
        ),
    )
)
def test_any_command_text_gets_a_valid_answer(slack, text):
    before = len([c for c in slack.fake.calls() if c.method in ("response_url", "views.open")])
    response = slack.send.command(text[:4000])
    assert response.status_code == 200
    _answered(slack, before)
    for call in slack.fake.calls("response_url"):
        parsed = [call.args.get("text", ""), *mrkdwn_texts(call.args.get("blocks", []))]
        assert not any("<!channel>" in t or "<!here>" in t for t in parsed)


@SETTINGS
@given(title=st.one_of(TEXT, HUGE), description=st.one_of(TEXT, HUGE))
def test_any_form_values_give_a_ticket_or_a_form_error(slack, title, description):
    slack.send.command("new")
    view = slack.fake.wait_for("views.open", len(slack.fake.calls("views.open")) or 1)[-1]
    with slack.database.transaction() as session:
        tickets_before = session.scalar(select(func.count()).select_from(Ticket))
    posts = len(slack.fake.calls("chat.postMessage"))
    response = slack.send.view_submission(
        view.args["view"],
        {
            InputId.TITLE: {InputId.TITLE: plain(title)},
            InputId.DESCRIPTION: {InputId.DESCRIPTION: plain(description)},
        },
    )
    assert response.status_code == 200
    if response.text not in ("", "null"):
        answer = response.json()
        assert answer["response_action"] == "errors"
        assert set(answer["errors"]) <= {InputId.TITLE, InputId.DESCRIPTION}
        with slack.database.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == tickets_before
        return
    slack.fake.wait_for("chat.postMessage", posts + 2)  # its card and its status message
    slack.settle()
    with slack.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == tickets_before + 1
        ticket = session.scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        assert 1 <= len(ticket.title) <= 200 and len(ticket.description) <= 3000
        assert "\x00" not in ticket.title + ticket.description
        assert session.scalar(select(func.count()).select_from(TicketChange)) == 0
    card = slack.card(ticket.number)
    parsed = [card["text"], *mrkdwn_texts(card["blocks"])]  # plain_text is never parsed
    assert not any("<!here>" in t or "<!channel>" in t for t in parsed)
