"""Every word the bot says comes from the catalog, and French fits everywhere English does."""

from __future__ import annotations

import gettext
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.support.blockkit import message_problems, view_problems
from ticketbot.i18n import LOCALE_DIR, _, speaking, translations
from ticketbot.services.deadlines import SlaState, SlaStatus
from ticketbot.services.faq import FaqHit
from ticketbot.services.history import TimelineEntry
from ticketbot.services.related import RelatedGroup
from ticketbot.services.reports import Compliance
from ticketbot.store.models import (
    Comment,
    ConversationLink,
    FaqEntry,
    Party,
    RelatedItem,
    Ticket,
)
from ticketbot.views import (
    alerts,
    card,
    email,
    faq,
    forms,
    history,
    home,
    lists,
    notices,
    rating,
    related,
    setup,
)
from ticketbot.views.related_form import item_form
from ticketbot.views.report import report_message
from ticketbot.vocabulary import (
    Engagement,
    PartyKind,
    Priority,
    RelatedKind,
    Source,
    Status,
    Visibility,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[1] / "src" / "ticketbot"
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def _ticket(**overrides) -> Ticket:
    # Data made of digits and symbols only, so any English word in the output is the bot's.
    party = Party(id=3, workspace_id="T1", kind=PartyKind.ACCOUNT, name="42", name_key="42")
    values = dict(
        id=1, workspace_id="T1", number=7, title="1234", description="5678", solution="90",
        status=Status.OPEN, priority=Priority.HIGH, engagement=Engagement.H4, category="12",
        assignee_id="U0AGT0001", requester_id="U0REQ0001", party=party, product="34",
        visibility=Visibility.INTERNAL, source=Source.REACTION, created_at=NOW, updated_at=NOW,
        due_at=NOW + timedelta(hours=4), sla_started_at=NOW, version=1,
        card_permalink="https://t.slack.com/archives/C1/p1",
    )  # fmt: skip
    return Ticket(**(values | overrides))


def _hit() -> FaqHit:
    entry = FaqEntry(id=1, workspace_id="T1", question="55", answer="66",
                     visibility=Visibility.PUBLIC, created_by="U0AGT0001", created_at=NOW,
                     updated_at=NOW)  # fmt: skip
    return FaqHit(entry, 7, "https://t.slack.com/archives/C1/p1")


def sample_report(**overrides):
    from tests.support.samples import sample

    # Data without words: categories and parties are numbers or none.
    base = sample(by_category=(("12", 6), (None, 4)), by_party=((None, 10),),
                  sla_by_category=(Compliance("12", 4, 4), Compliance(None, 2, 1)))  # fmt: skip
    return replace(base, **overrides)


def group(kind: RelatedKind, count: int) -> RelatedGroup:
    items = [RelatedItem(id=i, ticket_id=1, kind=kind.value, title=str(i), created_by="U0AGT0001",
                         created_at=NOW) for i in range(1, count + 1)]  # fmt: skip
    return RelatedGroup(kind, False, items, count)


SLA = {
    state: SlaStatus(state, NOW + timedelta(hours=3), timedelta(hours=27, minutes=5))
    for state in (SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.PAUSED)
}
SLA[SlaState.BREACHED] = SlaStatus(SlaState.BREACHED, NOW, -timedelta(minutes=45))
COMMENT = Comment(id=1, ticket_id=1, author_id="U0AGT0001", text="77", created_at=NOW)
LINK = ConversationLink(
    id=1,
    ticket_id=1,
    channel_id="C1",
    message_ts="1.2",
    permalink="https://t.slack.com/archives/C1/p12",
    linked_by="U0AGT0001",
    linked_at=NOW,
)
ENTRIES = [
    TimelineEntry("change", NOW, "U0AGT0001", field=f, old_value=old, new_value=new)
    for f, old, new in [
        ("status", "open", "closed"),
        ("priority", "low", "urgent"),
        ("engagement", "standard", "72h"),
        ("assignee", None, "U0AGT0002"),
        ("party", None, "supplier:42"),
        ("visibility", "public", "internal"),
        ("title", "1", "2"),
        ("link", None, "https://t.slack.com/x"),
        ("comment", None, "deleted"),
    ]
] + [TimelineEntry("comment", NOW, "U0REQ0001", text="88")] * 40

RENDERINGS = {
    "card": lambda: ("message", card.ticket_card(_ticket(), SLA[SlaState.AT_RISK])),
    "card closed": lambda: (
        "message",
        card.ticket_card(_ticket(status=Status.CLOSED), SlaStatus(SlaState.CLOSED, None, None)),
    ),
    "card paused": lambda: ("message", card.ticket_card(_ticket(), SLA[SlaState.PAUSED])),
    "card breached": lambda: ("message", card.ticket_card(_ticket(), SLA[SlaState.BREACHED])),
    "detail": lambda: (
        "message",
        card.ticket_detail(
            _ticket(),
            SLA[SlaState.ON_TRACK],
            comments=[COMMENT],
            links=[LINK],
            card_link="https://t.slack.com/x",
        ),
    ),
    "create modal": lambda: (
        "view",
        forms.create_modal(categories=["12"], products=[], metadata="", title="1", note=None),
    ),
    "edit modal": lambda: (
        "view",
        forms.edit_modal(_ticket(), categories=["12"], products=["34"], metadata=""),
    ),
    "close modal": lambda: ("view", forms.close_modal(_ticket(), metadata="")),
    "comment modal": lambda: ("view", forms.comment_modal(_ticket(), metadata="")),
    "link modal": lambda: ("view", forms.link_modal(metadata="", excerpt="99")),
    "history": lambda: ("view", history.history_modal(_ticket(), ENTRIES[:40], page=1, total=120)),
    "history empty": lambda: ("view", history.history_modal(_ticket(), [], page=0, total=0)),
    "related": lambda: ("view", related.related_modal(_ticket(), [LINK])),
    "related empty": lambda: ("view", related.related_modal(_ticket(), [])),
    "help": lambda: ("message", lists.help_message()),
    "list": lambda: (
        "message",
        lists.ticket_list("1", [(_ticket(), s) for s in SLA.values()], empty="-", more=True),
    ),
    "confirmation": lambda: ("message", lists.created_confirmation(_ticket(), "https://x.y/z")),
    "pointer": lambda: ("message", lists.pointer_reply(_ticket(), None, verb="")),
    "comment echo": lambda: ("message", lists.comment_echo("U0AGT0001", "55")),
    "home agent": lambda: (
        "view",
        home.home_view(mine=[(_ticket(), SLA[SlaState.ON_TRACK])], assigned=[], at_risk=[]),
    ),
    "home requester": lambda: ("view", home.home_view(mine=[], assigned=None, at_risk=None)),
    "alert warning": lambda: (
        "message",
        alerts.alert_message(_ticket(), SLA[SlaState.AT_RISK], kind="warning", step=75),
    ),
    "alert breach": lambda: (
        "message",
        alerts.alert_message(_ticket(), SLA[SlaState.BREACHED], kind="breach", step=100),
    ),
    "alert escalation": lambda: (
        "message",
        alerts.alert_message(
            _ticket(), SLA[SlaState.BREACHED], kind="escalation", step=2, mention="<!subteam^S1>"
        ),
    ),
    "digest": lambda: (
        "message",
        alerts.digest_message(
            [(_ticket(number=n), SLA[SlaState.BREACHED], "breach", 100) for n in range(60)]
        ),
    ),
    "notice": lambda: (
        "message",
        notices.notice(_("Internal tickets cannot be shared in a channel.")),
    ),
    "report": lambda: ("message", report_message(sample_report(), names={"U0AGT0001": "12"})),
    "report weekly empty": lambda: (
        "message",
        report_message(
            sample_report(raised=0, closed=0), names={"U0AGT0001": "12"}, weekly=True, chart=False
        ),
    ),
    "related items": lambda: (
        "view",
        related.related_modal(
            _ticket(),
            [LINK],
            groups=[group(k, 2) for k in RelatedKind],
            addable=list(RelatedKind),
            manage=True,
            today=NOW.date(),
        ),
    ),
    **{
        f"item form {kind.value}": (
            lambda kind=kind: (
                "view",
                item_form(_ticket(), kind, metadata="", today=NOW.date(), user_id="U0AGT0001"),
            )
        )
        for kind in RelatedKind
    },
    "faq modal": lambda: ("view", faq.faq_modal(_ticket(status=Status.CLOSED), metadata="")),
    "faq list": lambda: ("message", faq.faq_list("1", [_hit()], empty="-")),
    "faq suggestions": lambda: (
        "message",
        {"text": "1", "blocks": [faq.suggestions_block([_hit()])]},
    ),
    "email modal": lambda: (
        "view",
        email.email_modal(_ticket(), to=None, subject="1", sender="a@b.c", metadata=""),
    ),
    "rating request": lambda: ("message", rating.rating_request(_ticket())),
    "rating thanks": lambda: ("message", rating.rating_thanks(_ticket(), 4)),
    "not set up": lambda: ("message", setup.not_set_up([])),
    "first run home": lambda: (
        "view", setup.first_run_home(admin=True, admins=["U0MGR0001"], settings=[])),
    "first run home, not an admin": lambda: (
        "view", setup.first_run_home(admin=False, admins=[], settings=[])),
    "setup modal": lambda: ("view", setup.setup_modal({"name": "IT"}, metadata="")),
    "channel role question": lambda: (
        "message", setup.role_question("C0NEWCHAN1", [("it", "IT")], first_run=True)),
    "channel role refused": lambda: ("message", setup.role_refused_to(["U0MGR0001"])),
}


def _french_ids() -> set[str]:
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "ticketbot.po").open("rb") as source:
        french = read_po(source, locale="fr")
    return {m.id if isinstance(m.id, str) else m.id[0] for m in french if m.id and m.string}


class _Pseudo(gettext.NullTranslations):
    """Marks every message the French catalog translates, so a word left unmarked is either
    a literal in code or a message that never reached the catalog (Babel does not extract
    calls written inside f-strings)."""

    def __init__(self) -> None:
        super().__init__()
        self._known = _french_ids()

    def gettext(self, message):
        return f"⟦{message}⟧" if message in self._known else message

    def ngettext(self, singular, plural, n):
        word = singular if n == 1 else plural
        return f"⟦{word}⟧" if singular in self._known else word


SLACK_SYNTAX = re.compile(r"<[^>]*>|:[a-z0-9_+-]+:|`[^`]*`|https?://\S+")
MARKED = re.compile(r"⟦[^⟦⟧]*⟧")  # innermost first: messages are formatted into messages
WORD = re.compile(r"[A-Za-z]{2,}")
ALLOWED = {"UTC", "PM", "AM", "EUR"}  # date fallbacks, the default currency code


def _texts(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for key, v in node.items() if key != "url" for t in _texts(v)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def _visible_words(payload: dict) -> set[str]:
    body = {
        k: v
        for k, v in payload.items()
        if k not in ("callback_id", "private_metadata", "type", "external_id")
    }
    words = set()
    for text in _texts(body):
        while MARKED.search(text):
            text = MARKED.sub(" ", text)
        words |= set(WORD.findall(SLACK_SYNTAX.sub(" ", text))) - ALLOWED
    return words


@pytest.mark.parametrize("name", list(RENDERINGS))
def test_no_english_literal_outside_the_catalog(name):
    with translations(_Pseudo()):
        _kind, payload = RENDERINGS[name]()
    assert _visible_words(payload) == set(), f"{name} says words that are not in the catalog"


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("name", list(RENDERINGS))
def test_every_view_fits_slack_in_both_languages(name, language):
    with speaking(language):
        kind, payload = RENDERINGS[name]()
    if kind == "message":
        problems = message_problems(payload)
    else:
        method = "views.publish" if payload["type"] == "home" else "views.open"
        problems = view_problems(payload, method)
    assert problems == []


def test_french_catalog_translates_every_message_with_the_same_placeholders():
    with (LOCALE_DIR / "fr" / "LC_MESSAGES" / "ticketbot.po").open("rb") as source:
        french = read_po(source, locale="fr")
    keywords = {"_": None, "N_": None, "ngettext": (1, 2)}
    missing, mismatched = [], []
    for _file, _line, message, _comments, _context in extract_from_dir(str(SRC), keywords=keywords):
        key = message[0] if isinstance(message, tuple) else message
        entry = french.get(key)
        strings = entry.string if entry is not None else None
        translated = list(strings) if isinstance(strings, tuple) else [strings]
        if entry is None or not all(translated):
            missing.append(key)
            continue
        sources = message if isinstance(message, tuple) else (message,)
        expected = set(PLACEHOLDER.findall(" ".join(sources)))
        if any(set(PLACEHOLDER.findall(t)) != expected for t in translated):
            mismatched.append(key)
    assert missing == [], "run `make messages` and translate these"
    assert mismatched == []


def test_french_uses_the_seed_vocabulary():
    from ticketbot.i18n import label

    with speaking("fr"):
        assert [label(s) for s in Status] == ["Ouvert", "Attente réponse", "En cours", "Fermé"]
        assert [label(p) for p in Priority] == ["Basse", "Normale", "Haute", "Urgente"]
        assert [label(e) for e in Engagement] == [
            "Standard",
            "2 h",
            "4 h",
            "6 h",
            "8 h",
            "24 h",
            "48 h",
            "72 h",
        ]
        modal = history.history_modal(_ticket(), [], page=0, total=0)
        assert modal["title"]["text"] == "Historique ticket"
