"""Settings in App Home as an admin drives them: the Settings section, adding a queue from
Slack's pickers, its effect at once here and within seconds on another replica, check-config's
problems shown in the form with nothing stored, deadlines and general settings, the history
of changes, and everyone else refused on the server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.conversation import said, say, written
from tests.support.slack_payloads import TEAM_ID
from tests.support.slack_requests import (
    checkboxes,
    conversations,
    multi_conversations,
    multi_users,
    number,
    plain,
    static,
    timepicker,
)
from tests.support.steps import ADMIN, AGENT, REQUESTER, opened
from ticketbot.ids import ActionId
from ticketbot.runtime import Runtime, acting_for
from ticketbot.services import settings as stored
from ticketbot.store.models import Ticket
from ticketbot.views.settings import F

IT_HELP, IT_DESK, HR_HELP = "C0ITHELP01", "C0ITDESK01", "C0HRHELP01"


def _home(slack, user_id: str) -> dict:
    event = {"type": "app_home_opened", "user": user_id, "channel": "D" + user_id[1:],
             "tab": "home"}  # fmt: skip
    return opened(slack, lambda: slack.send.event(event), method="views.publish")


def _click(slack, view: dict, action_id: str, *, user_id: str = ADMIN, method="views.open",
           **action) -> dict:  # fmt: skip
    return opened(slack, lambda: slack.send.block_actions(
        [{"action_id": action_id, **action}], view=view, user_id=user_id), method=method)


def _queue_form(slack, index: int | None = None) -> dict:
    """The form of a new queue, or of the `index`-th one."""
    queues = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_QUEUES)
    block = "settings_add" if index is None else f"settings_queue:{index}"
    return _click(slack, queues, ActionId.SETTINGS_EDIT_QUEUE, block_id=block,
                  method="views.push")


def _versions(slack) -> list[tuple[int, str, str]]:
    with slack.database.transaction() as session:
        rows = stored.history(session=session, workspace_id=TEAM_ID)
        return [(r.version, r.changed_by, r.summary) for r in rows]


IT_VALUES = {
    F.NAME: {F.NAME: plain("IT")},
    F.REQUEST_CHANNELS: {F.REQUEST_CHANNELS: multi_conversations([IT_HELP])},
    F.TRIAGE_CHANNEL: {F.TRIAGE_CHANNEL: conversations(IT_DESK)},
    F.AGENTS: {F.AGENTS: multi_users([AGENT])},
    F.CATEGORIES: {F.CATEGORIES: plain("Laptop\nVPN")},
    F.ASSIGN: {F.ASSIGN: static("round_robin")},
}


def test_an_admin_adds_a_queue_and_it_works_at_once(slack):
    home = _home(slack, ADMIN)
    assert "Settings" in said(home) and "Still those of ticketbot.yml" in said(home)
    form = _queue_form(slack)
    answer = slack.send.view_submission(form, IT_VALUES, user_id=ADMIN)
    assert answer.status_code == 200 and answer.json() == {"response_action": "clear"}
    slack.settle()
    assert _versions(slack) == [(1, ADMIN, "queue Help desk added, queue IT added")]
    with slack.database.transaction() as session:
        document = stored.latest(session=session, workspace_id=TEAM_ID).document
    assert document["queues"][1] == {
        "name": "IT", "request_channels": [IT_HELP], "triage_channel": IT_DESK,
        "agents": [AGENT], "categories": ["Laptop", "VPN"], "assign": "round_robin",
    }  # fmt: skip
    assert "Version 1, changed by" in said(slack.fake.calls("views.publish")[-1].args["view"])

    # No restart: a message in the new request channel is a ticket of IT, assigned in turn.
    event = written(IT_HELP, REQUESTER, "Laptop fan is loud", "1700000500.000100",
                    channel_type="channel")  # fmt: skip
    assert say(slack, event).status_code == 200
    slack.settle()
    with slack.database.transaction() as session:
        raised = session.scalar(select(Ticket))
    assert (raised.queue, raised.assignee_id, raised.card_channel_id) == ("it", AGENT, IT_DESK)


def test_another_replica_follows_within_seconds(slack):
    replica = Runtime(settings=slack.runtime.settings, config=slack.runtime.file_config,
                      database=slack.database, clock=slack.clock)  # fmt: skip
    with acting_for(TEAM_ID):
        assert [q.name for q in replica.config.desks] == ["Help desk"]
        slack.send.view_submission(_queue_form(slack), IT_VALUES, user_id=ADMIN)
        slack.settle()
        assert [q.name for q in replica.config.desks] == ["Help desk"]  # read just now
        slack.clock.advance(timedelta(seconds=6))
        assert [q.name for q in replica.config.desks] == ["Help desk", "IT"]
        assert replica.config.queue_of_channel(IT_HELP).key == "it"


def test_check_configs_problems_show_in_the_form_and_nothing_is_stored(slack):
    slack.send.view_submission(_queue_form(slack), IT_VALUES, user_id=ADMIN)
    slack.settle()
    twice = {F.NAME: {F.NAME: plain("HR")},
             F.REQUEST_CHANNELS: {F.REQUEST_CHANNELS: multi_conversations([IT_HELP, HR_HELP])}}
    refused = slack.send.view_submission(_queue_form(slack), twice, user_id=ADMIN)
    assert refused.json() == {"response_action": "errors", "errors": {
        F.REQUEST_CHANNELS: "queues: HR: C0ITHELP01 is already a request channel of IT"}}
    assert len(_versions(slack)) == 1

    deadlines = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_DEADLINES)
    bad = {F.HOURS + "urgent": {F.HOURS + "urgent": number(2)},
           F.WARN_AT: {F.WARN_AT: plain("soon")}}  # fmt: skip
    refused = slack.send.view_submission(deadlines, bad, user_id=ADMIN)
    assert refused.json()["errors"] == {F.WARN_AT: "Write shares of the time, such as 75%, 90%."}
    zone = {F.TIMEZONE: {F.TIMEZONE: plain("Mars/Olympus")}}
    refused = slack.send.view_submission(deadlines, zone, user_id=ADMIN)
    assert refused.json()["errors"] == {F.TIMEZONE: (
        "sla.business_hours.timezone: unknown time zone 'Mars/Olympus' (use an IANA name)")}
    assert len(_versions(slack)) == 1


def test_deadlines_general_settings_and_their_history(slack):
    deadlines = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_DEADLINES)
    values = {F.HOURS + "urgent": {F.HOURS + "urgent": number(2)},
              F.WARN_AT: {F.WARN_AT: plain("50%, 90%")},
              F.TIMEZONE: {F.TIMEZONE: plain("Europe/Paris")},
              F.DAYS: {F.DAYS: checkboxes(["Mon", "Tue", "Wed", "Thu"])},
              F.START: {F.START: timepicker("08:30")}, F.END: {F.END: timepicker("17:00")},
              F.HOLIDAYS: {F.HOLIDAYS: plain("2026-12-25\n2027-01-01")}}  # fmt: skip
    assert slack.send.view_submission(deadlines, values, user_id=ADMIN).status_code == 200
    slack.settle()
    with acting_for(TEAM_ID):
        sla = slack.runtime.config.sla
    assert (sla.standard_hours["urgent"], sla.warn_at) == (2, [0.5, 0.9])
    hours = sla.business_hours
    assert (hours.timezone, hours.days, str(hours.start), str(hours.end)) == (
        "Europe/Paris", ["Mon", "Tue", "Wed", "Thu"], "08:30:00", "17:00:00")
    assert [str(d) for d in hours.holidays] == ["2026-12-25", "2027-01-01"]

    general = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_GENERAL)
    values = {F.LANGUAGE: {F.LANGUAGE: static("fr")},
              F.CARD_REPLIES: {F.CARD_REPLIES: static("public")}}  # fmt: skip
    assert slack.send.view_submission(general, values, user_id=ADMIN).status_code == 200
    slack.settle()
    with acting_for(TEAM_ID):
        config = slack.runtime.config
    assert (config.language, config.conversation.card_thread_replies) == ("fr", "public")

    history = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_HISTORY)
    lines = said(history)
    assert "*v2*" in lines and "conversation.card_thread_replies, language" in lines
    assert "*v1*" in lines and "sla.business_hours" in lines and f"<@{ADMIN}>" in lines


def test_only_admins_see_and_change_the_settings(slack):
    assert "Settings history" not in said(_home(slack, AGENT))
    admin_home = _home(slack, ADMIN)
    forged = slack.send.block_actions([{"action_id": ActionId.SETTINGS_QUEUES}],
                                      view=admin_home, user_id=AGENT)  # fmt: skip
    assert forged.status_code == 200
    slack.settle()
    assert "Only admins change the settings." in str(slack.fake.calls()[-1].args)
    form = _queue_form(slack)
    refused = slack.send.view_submission(form, IT_VALUES, user_id=AGENT)
    assert refused.json()["response_action"] == "errors"
    assert "Only admins change the settings." in str(refused.json()["errors"])
    assert _versions(slack) == []


def test_the_workspaces_slack_admins_are_admins_too(slack):
    slack.fake.users["U0OWNER001"] = {"is_owner": True}
    assert "Settings history" in said(_home(slack, "U0OWNER001"))



def test_renaming_a_queue_keeps_its_tickets_and_removing_it_is_a_version(slack):
    slack.send.view_submission(_queue_form(slack), IT_VALUES, user_id=ADMIN)
    slack.settle()
    form = _queue_form(slack, index=1)
    assert "Queue IT" in form["title"]["text"]
    assert form["blocks"][0]["element"]["initial_value"] == "IT"
    renamed = {**IT_VALUES, F.NAME: {F.NAME: plain("IT support")}}
    assert slack.send.view_submission(form, renamed, user_id=ADMIN).status_code == 200
    slack.settle()
    with acting_for(TEAM_ID):
        assert slack.runtime.config.queue("it").name == "IT support"  # same key, same tickets
    removal = {**renamed, F.REMOVE: {F.REMOVE: checkboxes(["remove"])}}
    assert slack.send.view_submission(_queue_form(slack, index=1), removal,
                                      user_id=ADMIN).status_code == 200  # fmt: skip
    slack.settle()
    assert [v[2] for v in _versions(slack)] == [
        "queue IT support removed", "queue IT support added, queue IT removed",
        "queue Help desk added, queue IT added"]  # fmt: skip
    with acting_for(TEAM_ID):
        assert [q.name for q in slack.runtime.config.desks] == ["Help desk"]


def test_related_kinds_currency_weekly_report_and_escalation(slack):
    general = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_GENERAL)
    values = {F.KINDS: {F.KINDS: checkboxes(["activity", "document", "expense"])},
              F.CURRENCY: {F.CURRENCY: plain("usd")},
              F.WEEKLY_DAY: {F.WEEKLY_DAY: static("Fri")},
              F.WEEKLY_TIME: {F.WEEKLY_TIME: timepicker("16:30")},
              F.WEEKLY_CHANNEL: {F.WEEKLY_CHANNEL: conversations("C0MANAGERS")}}  # fmt: skip
    assert slack.send.view_submission(general, values, user_id=ADMIN).status_code == 200
    slack.settle()
    with acting_for(TEAM_ID):
        config = slack.runtime.config
    assert [k.value for k in config.related_kinds] == ["activity", "document", "expense"]
    assert config.currency == "USD"
    weekly = config.reports.weekly
    assert (weekly.day, str(weekly.time), weekly.channel) == ("Fri", "16:30:00", "C0MANAGERS")

    bad = {**values, F.CURRENCY: {F.CURRENCY: plain("dollars")}}
    refused = slack.send.view_submission(_click(slack, _home(slack, ADMIN),
                                                ActionId.SETTINGS_GENERAL), bad, user_id=ADMIN)
    assert list(refused.json()["errors"]) == [F.CURRENCY]
    assert "is not a currency code" in refused.json()["errors"][F.CURRENCY]

    deadlines = _click(slack, _home(slack, ADMIN), ActionId.SETTINGS_DEADLINES)
    escalate = {F.ESCALATE_HOURS: {F.ESCALATE_HOURS: number(4)},
                F.ESCALATE_GROUP: {F.ESCALATE_GROUP: plain("S0LEADS001")}}  # fmt: skip
    assert slack.send.view_submission(deadlines, escalate, user_id=ADMIN).status_code == 200
    slack.settle()
    with acting_for(TEAM_ID):
        sla = slack.runtime.config.sla
    assert (sla.escalate_every_hours, sla.escalation_usergroup) == (4, "S0LEADS001")
    assert len(_versions(slack)) == 2  # the refused one stored nothing


def test_agent_user_groups_are_picked_by_name(slack):
    slack.fake.usergroups.update({"S0ITTEAM01": ["U0AGT0003"], "S0HRTEAM01": ["U0AGT0004"]})
    slack.fake.usergroup_names.update({"S0ITTEAM01": "IT team", "S0HRTEAM01": "HR team"})
    form = _queue_form(slack)
    typed = slack.send.block_suggestion(F.GROUPS, F.GROUPS, "it", view=form, user_id=ADMIN)
    assert [(o["text"]["text"], o["value"]) for o in typed.json()["options"]] == [
        ("IT team", "S0ITTEAM01")]
    refused = slack.send.block_suggestion(F.GROUPS, F.GROUPS, "", view=form, user_id=AGENT)
    assert refused.json() == {"options": []}
    picked = {"type": "multi_external_select", "selected_options": [
        {"text": {"type": "plain_text", "text": "IT team"}, "value": "S0ITTEAM01"}]}
    values = {**IT_VALUES, F.GROUPS: {F.GROUPS: picked}}
    assert slack.send.view_submission(form, values, user_id=ADMIN).status_code == 200
    slack.settle()
    with acting_for(TEAM_ID):
        assert slack.runtime.config.queue("it").agents == (AGENT, "S0ITTEAM01")
    again = _queue_form(slack, index=1)  # the group shows by its name
    group_block = next(b for b in again["blocks"] if b["block_id"] == F.GROUPS)
    assert group_block["element"]["initial_options"][0]["text"]["text"] == "IT team"
