"""How a comment shows in the History modal and `/ticket show`: the files shared with it as
links named by their escaped titles, whatever the text and names hold; a deleted one as a
line that says so, in both languages."""

from __future__ import annotations

import pytest

from tests.support.blockkit import message_problems, view_problems
from tests.support.samples import (
    AGENT,
    HOSTILE,
    MARK,
    NOW,
    ON_TRACK,
    PINGS,
    comment,
    texts,
    ticket,
)
from ticketbot.i18n import speaking
from ticketbot.services.history import TimelineEntry
from ticketbot.views import card, history
from ticketbot.views.text import ELLIPSIS, with_files

LOG = "https://test.slack.com/files/U0AGT0001/F0LOG00001/boot-log.txt"
PHOTO = "https://test.slack.com/files/U0AGT0001/F0IMG00001/img.png"


def test_files_are_links_named_by_their_escaped_titles():
    files = [
        {"name": "boot-log.txt", "permalink": LOG},
        {"name": "Tray <2> & <!here>", "permalink": PHOTO},
        {"name": "no link <@U123>", "permalink": None},
    ]
    assert with_files("Here <!channel>", files, 1000) == (
        "Here &lt;!channel&gt;\n"
        f":paperclip: <{LOG}|boot-log.txt> <{PHOTO}|Tray &lt;2&gt; &amp; &lt;!here&gt;> "
        "no link &lt;@U123&gt;"
    )
    assert with_files("", files[:1], 1000) == f":paperclip: <{LOG}|boot-log.txt>"
    assert with_files("Just words", None, 1000) == with_files("Just words", [], 1000)
    assert with_files("Just words", None, 1000) == "Just words"


def test_a_long_text_is_cut_and_the_links_stay_whole():
    files = [{"name": f"part-{i}.log", "permalink": f"{LOG}?part={i}"} for i in range(10)]
    shown = with_files("checked the tray. " * 200, files, 1000)
    assert len(shown) <= 1000
    text, _newline, tail = shown.partition("\n:paperclip: ")
    assert text.endswith(ELLIPSIS)
    assert tail.split(" ") == [f"<{LOG}?part={i}|part-{i}.log>" for i in range(10)]
    # More links than fit: the ones that fit, then an ellipsis; never half a link.
    crowded = with_files("x", files * 3, 1000)
    assert len(crowded) <= 1000 and crowded.endswith(f".log> {ELLIPSIS}")


def test_hostile_names_and_text_never_ping_and_stay_within_slacks_limits():
    files = [{"name": HOSTILE, "permalink": LOG}, {"name": HOSTILE, "permalink": None}] * 5
    detail = card.ticket_detail(
        ticket(), ON_TRACK, comments=[comment(HOSTILE, files)] * 5, links=[]
    )
    entry = TimelineEntry("comment", NOW, AGENT, text=HOSTILE, files=files)
    modal = history.history_modal(ticket(), [entry] * 40, page=0, total=40)
    assert message_problems(detail) == [] and view_problems(modal, "views.open") == []
    for payload in (detail, modal):
        shown = [t for t in texts(payload, types=("mrkdwn",)) if MARK in t]
        assert shown and all(ELLIPSIS in t and len(t) < len(HOSTILE) for t in shown)
        assert all(f"<{LOG}|" in t for t in shown)
        leaked = [t[:80] for t in shown if any(ping in t for ping in PINGS)]
        assert not leaked


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Comment deleted"), ("fr", "Commentaire supprimé")]
)
def test_a_deleted_comment_is_a_line_that_says_so(language, words):
    gone = TimelineEntry("change", NOW, AGENT, field="comment", new_value="deleted")
    with speaking(language):
        line = history.timeline_line(gone)
    assert line.endswith(f"<@{AGENT}> :wastebasket: _{words}_")
