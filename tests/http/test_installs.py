"""Many workspaces: installed through Slack's OAuth flow against the fake oauth.v2.access,
side by side on both databases, each with its own tickets, numbers, client and passes;
uninstalled (data kept), deleted, tokens encrypted at rest and rotated before they expire."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select, update

from tests.support.installs import (
    SECOND_NAME,
    SECOND_TEAM,
    as_team,
    install,
    install_link,
)
from tests.support.slack_payloads import TEAM_ID, TEAM_NAME
from tests.support.steps import TRIAGE, command, create_ticket, everything
from ticketbot.jobs.scheduler import tick
from ticketbot.services.workspaces import delete_workspace, workspace_rows
from ticketbot.store.models import BOTS, INSTALLATIONS, Ticket


def _posts(slack, team: str) -> list:
    return [c for c in slack.fake.calls("chat.postMessage") if c.team == team and not c.failed]


def _two_workspaces(slack):
    install(slack, TEAM_ID, TEAM_NAME)
    return _rest_of_two(slack)


def _rest_of_two(slack):
    install(slack, SECOND_TEAM, SECOND_NAME)
    second = as_team(slack, SECOND_TEAM)
    first_number = create_ticket(slack, "Printer jammed")
    second_number = create_ticket(second, "VPN down")
    slack.settle()
    return second, first_number, second_number


def _workspaces(slack):
    return slack.background.workspaces


def test_the_install_page_asks_for_the_manifest_scopes_with_a_fresh_state(installs):
    page, query, cookie = install_link(installs)
    assert page.headers["content-type"].startswith("text/html")
    assert "Add to Slack" in page.text
    assert query["client_id"] == installs.fake.client_id
    from ticketbot.slack.install import BOT_SCOPES

    assert query["scope"].split(",") == list(BOT_SCOPES)
    assert cookie == f"slack-app-oauth-state={query['state']}"
    _again, second, _cookie = install_link(installs)
    assert second["state"] != query["state"]  # each visit its own, good once


def test_two_workspaces_install_and_never_see_each_others_tickets(installs):
    done = install(installs, TEAM_ID, TEAM_NAME)
    assert "ticketbot was added to Test" in done.text
    assert "/invite @ticketbot" in done.text
    second, first_number, second_number = _rest_of_two(installs)
    assert (first_number, second_number) == (1, 1)  # numbers are each workspace's own
    with installs.database.transaction() as session:
        rows = session.execute(select(Ticket.workspace_id, Ticket.number, Ticket.title)).all()
    assert sorted(rows) == [(TEAM_ID, 1, "Printer jammed"), (SECOND_TEAM, 1, "VPN down")]
    # Each workspace's cards and messages went out with its own token, about its own ticket.
    first_posts, second_posts = _posts(installs, TEAM_ID), _posts(installs, SECOND_TEAM)
    assert first_posts and second_posts
    assert all("VPN down" not in everything(c.args) for c in first_posts)
    assert all("Printer jammed" not in everything(c.args) for c in second_posts)
    assert any(
        c.args["channel"] == TRIAGE and "VPN down" in everything(c.args) for c in second_posts
    )
    # /ticket show 1 and /ticket list answer with the asker's workspace's ticket only.
    shown = everything(command(second, "show 1"))
    assert "VPN down" in shown and "Printer jammed" not in shown
    listed = everything(command(installs, "list all"))
    assert "Printer jammed" in listed and "VPN down" not in listed
    # Each workspace's settings start as version 1, from ticketbot.yml.
    from ticketbot.services import settings as stored_settings

    with installs.database.transaction() as session:
        for team in (TEAM_ID, SECOND_TEAM):
            [first] = stored_settings.history(session=session, workspace_id=team)
            assert (first.version, first.changed_by) == (1, "ticketbot.yml")


def test_tokens_are_encrypted_at_rest_and_never_logged(installs, caplog):
    caplog.set_level("DEBUG")
    install(installs, SECOND_TEAM, SECOND_NAME)
    issued = [t for t, team in installs.fake.tokens.items() if team == SECOND_TEAM]
    assert len(issued) == 1
    with installs.database.transaction() as session:
        stored = session.execute(select(BOTS.c.bot_token, BOTS.c.team_id)).all()
        installed = session.execute(select(INSTALLATIONS.c.bot_token)).scalars().all()
    assert [team for _token, team in stored] == [SECOND_TEAM]
    for value in [token for token, _team in stored] + installed:
        assert issued[0] not in value and value.startswith("gAAAA")  # a Fernet token
    assert issued[0] not in caplog.text
    # ...and read back as the token Slack issued: the workspace's calls are made with it.
    second = as_team(installs, SECOND_TEAM)
    create_ticket(second, "VPN down")
    assert _posts(installs, SECOND_TEAM)


def test_scheduled_passes_run_for_each_workspace_with_its_client(installs):
    _two_workspaces(installs)
    installs.clock.advance(timedelta(days=3))  # both tickets far past their deadline
    before = {team: len(_posts(installs, team)) for team in (TEAM_ID, SECOND_TEAM)}
    report = tick(installs.runtime, _workspaces(installs))
    assert report.failed == []
    assert len(report.sla.sent) >= 2
    for team, title, other in ((TEAM_ID, "Printer jammed", "VPN down"),
                               (SECOND_TEAM, "VPN down", "Printer jammed")):  # fmt: skip
        alerts = [
            c for c in _posts(installs, team)[before[team] :] if c.args["channel"] == "C0SLAALERT"
        ]
        assert alerts, f"no deadline warning in {team}"
        assert all(title in everything(c.args) and other not in everything(c.args) for c in alerts)


def test_uninstall_removes_the_installation_and_stops_its_passes_data_kept(installs):
    second, _one, _other = _two_workspaces(installs)
    response = second.send.event({"type": "app_uninstalled"})
    assert response.status_code == 200
    installs.settle()
    with installs.database.transaction() as session:
        teams = set(session.execute(select(BOTS.c.team_id)).scalars())
        kept = session.scalars(select(Ticket.title).where(Ticket.workspace_id == SECOND_TEAM))
        assert list(kept) == ["VPN down"]  # its data stays
    assert teams == {TEAM_ID}
    calls = len(installs.fake.calls())
    installs.clock.advance(timedelta(days=3))
    tick(installs.runtime, _workspaces(installs))
    later = installs.fake.calls()[calls:]
    assert later and all(c.team == TEAM_ID for c in later if c.method != "response_url")
    # A request from the uninstalled workspace raises nothing.
    second.send.command("new Still there?")
    installs.settle()
    with installs.database.transaction() as session:
        assert session.query(Ticket).filter_by(workspace_id=SECOND_TEAM).count() == 1


def test_revoked_bot_token_removes_the_installation(installs):
    install(installs, SECOND_TEAM, SECOND_NAME)
    second = as_team(installs, SECOND_TEAM)
    second.send.event({"type": "tokens_revoked", "tokens": {"oauth": ["U0ADMIN01"]}})
    installs.settle()
    with installs.database.transaction() as session:
        assert set(session.execute(select(BOTS.c.team_id)).scalars()) == {SECOND_TEAM}
    second.send.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT0002"]}})
    installs.settle()
    with installs.database.transaction() as session:
        assert set(session.execute(select(BOTS.c.team_id)).scalars()) == set()
        assert session.execute(select(INSTALLATIONS.c.id)).first() is None


def test_workspace_delete_removes_that_workspace_only(installs):
    _second, _one, _other = _two_workspaces(installs)
    with installs.database.transaction() as session:
        counts = workspace_rows(session=session, workspace_id=SECOND_TEAM)
    assert counts["tickets"] == 1 and counts["slack_bots"] == 1
    with installs.database.transaction() as session:
        deleted = delete_workspace(session=session, workspace_id=SECOND_TEAM)
    assert deleted["tickets"] == 1 and deleted["ticket_search_terms"] >= 1, deleted
    with installs.database.transaction() as session:
        assert workspace_rows(session=session, workspace_id=SECOND_TEAM) == {}
        rows = session.execute(select(Ticket.workspace_id, Ticket.title)).all()
        assert rows == [(TEAM_ID, "Printer jammed")]
        assert set(session.execute(select(BOTS.c.team_id)).scalars()) == {TEAM_ID}
    # the first workspace carries on
    assert "Printer jammed" in everything(command(installs, "show 1"))


def test_rotated_tokens_reach_the_kept_alive_clients(installs):
    installs.fake.rotation = True
    install(installs, SECOND_TEAM, SECOND_NAME)
    second = as_team(installs, SECOND_TEAM)
    create_ticket(second, "VPN down")
    installs.settle()
    first = next(t for t, team in installs.fake.tokens.items() if team == SECOND_TEAM)
    # Ten minutes before it expires, the next pass refreshes it; Slack retires the old one.
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=10)
    with installs.database.transaction() as session:
        session.execute(update(BOTS).values(bot_token_expires_at=soon))
    installs.clock.advance(timedelta(days=3))
    report = tick(installs.runtime, _workspaces(installs))
    assert report.failed == []
    refreshed = [
        c
        for c in installs.fake.calls("oauth.v2.access")
        if c.args.get("grant_type") == "refresh_token"
    ]
    assert len(refreshed) == 1 and first in installs.fake.retired
    assert [c for c in installs.fake.calls() if c.error == "invalid_auth"] == []
    assert _posts(installs, SECOND_TEAM)[-1].args["channel"] == "C0SLAALERT"
    # Requests after it use the new token too: the card of a new ticket goes out.
    create_ticket(second, "Laptop slow")
    installs.settle()
    assert [c for c in installs.fake.calls() if c.error == "invalid_auth"] == []
    assert any("Laptop slow" in everything(c.args) for c in _posts(installs, SECOND_TEAM))


def test_a_bad_or_reused_state_gets_a_page_that_says_so(installs):
    _page, query, cookie = install_link(installs)
    code = installs.fake.authorize(SECOND_TEAM, SECOND_NAME, scopes=query["scope"].split(","))
    url = installs.url + "/slack/oauth_redirect"

    def back(state: str) -> requests.Response:
        params = {"code": code, "state": state}
        return requests.get(url, params=params, headers={"Cookie": cookie}, timeout=10)

    forged = back("forged")
    assert forged.status_code == 400 and "ticketbot was not installed" in forged.text
    assert back(query["state"]).status_code == 200
    again = back(query["state"])
    assert again.status_code == 401
    assert re.search(r"expired or was used already", again.text)
    assert 'href="/slack/install"' in again.text
    with installs.database.transaction() as session:  # installed once, by the good link
        assert list(session.execute(select(BOTS.c.team_id)).scalars()) == [SECOND_TEAM]


def test_a_change_wakes_the_deliverer_for_its_workspace_only(installs):
    from ticketbot.jobs.cards import due_workspaces
    from ticketbot.services.refreshes import mark_card

    _two_workspaces(installs)
    assert due_workspaces(installs.runtime) == set()  # everything shown
    with installs.database.transaction() as session:
        second = session.scalars(select(Ticket).where(Ticket.workspace_id == SECOND_TEAM)).one()
        mark_card(session=session, ticket_id=second.id, now=installs.clock.now())
    assert due_workspaces(installs.runtime) == {SECOND_TEAM}
    served = installs.background.workspaces.serving(only={SECOND_TEAM})
    assert [s.workspace_id for s in served] == [SECOND_TEAM]
    before = len(installs.fake.calls("chat.update"))
    installs.runtime.slack_changed()
    installs.settle()
    updates = installs.fake.calls("chat.update")[before:]
    assert updates and {c.team for c in updates} == {SECOND_TEAM}


def test_a_token_another_replica_refreshed_first_is_taken_from_the_store(installs, monkeypatch):
    from ticketbot.slack.workspaces import Installations

    installs.fake.rotation = True
    install(installs, SECOND_TEAM, SECOND_NAME)
    soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=10)
    with installs.database.transaction() as session:
        session.execute(update(BOTS).values(bot_token_expires_at=soon))
    here = installs.background.workspaces
    stale = here.store.find_bot(enterprise_id=None, team_id=SECOND_TEAM)
    # Another replica refreshes it between our read and our refresh: Slack refuses ours.
    replica = Installations(installs.runtime.settings, installs.database, installs.runtime.pacer)
    theirs = replica.client_for(SECOND_TEAM).token
    assert theirs != stale.bot_token and stale.bot_token in installs.fake.retired
    reads = iter([stale])
    real = here.store.find_bot
    monkeypatch.setattr(here.store, "find_bot", lambda **where: next(reads, None) or real(**where))
    assert here.client_for(SECOND_TEAM).token == theirs
    refused = [c for c in installs.fake.calls("oauth.v2.access") if c.failed]
    assert [c.error for c in refused] == ["invalid_refresh_token"]


def test_an_organisation_wide_install_is_undone_with_a_page_that_says_why(installs):
    _page, query, cookie = install_link(installs)
    code = installs.fake.authorize(
        SECOND_TEAM, SECOND_NAME, scopes=query["scope"].split(","), enterprise="E0GRID001"
    )
    done = requests.get(
        installs.url + "/slack/oauth_redirect",
        params={"code": code, "state": query["state"]},
        headers={"Cookie": cookie},
        timeout=10,
    )
    assert done.status_code == 400
    assert "installed on each workspace, not on a whole organisation" in done.text
    with installs.database.transaction() as session:
        assert session.execute(select(BOTS.c.id)).first() is None
        assert session.execute(select(INSTALLATIONS.c.id)).first() is None


def test_each_workspace_picks_among_its_own_user_groups(installs):
    install(installs, TEAM_ID, TEAM_NAME)
    install(installs, SECOND_TEAM, SECOND_NAME)
    installs.fake.usergroups |= {"S0ITTEAM1": ["U0AGT0001"], "S0HRTEAM2": ["U0HR00002"]}
    installs.fake.usergroup_teams["S0HRTEAM2"] = SECOND_TEAM
    workspaces, directory = installs.background.workspaces, installs.runtime.directory
    first = directory.usergroups(workspaces.client_for(TEAM_ID))
    second = directory.usergroups(workspaces.client_for(SECOND_TEAM))
    assert [group for group, _name in first] == ["S0ITTEAM1"]
    assert [group for group, _name in second] == ["S0HRTEAM2"]  # not the first's, cached
