"""Settings in App Home, for admins: the forms opened from the Settings section, and their
submissions (slack/settings_forms.py)."""

from __future__ import annotations

from slack_bolt import Ack, App

from ticketbot.ids import ActionId, CallbackId
from ticketbot.runtime import Runtime
from ticketbot.slack import settings_forms
from ticketbot.slack.request import workspace_of
from ticketbot.slack.screens import home_screen
from ticketbot.views.settings import F

OPENED_BY = {
    ActionId.SETTINGS_QUEUES: "queues",
    ActionId.SETTINGS_DEADLINES: "deadlines",
    ActionId.SETTINGS_GENERAL: "general",
    ActionId.SETTINGS_HISTORY: "history",
    ActionId.SETTINGS_SETUP: "setup",
}
SAVED_BY = {
    CallbackId.SETTINGS_QUEUE: "queue",
    CallbackId.SETTINGS_DEADLINES: "deadlines",
    CallbackId.SETTINGS_GENERAL: "general",
    CallbackId.SETTINGS_SETUP: "setup",
}


def _republish(runtime: Runtime, client, workspace_id: str, viewer) -> None:
    client.views_publish(
        user_id=viewer.user_id, view=home_screen(runtime, workspace_id=workspace_id, viewer=viewer)
    )


def register(app: App) -> None:
    def open_form(ack: Ack, body: dict, action: dict, client, runtime: Runtime, viewer, later):
        settings_forms.require_admin(viewer)
        later(
            settings_forms.open_form, runtime, client, workspace_id=workspace_of(body),
            viewer=viewer, which=OPENED_BY[action["action_id"]], trigger_id=body["trigger_id"],
        )  # fmt: skip
        ack()

    for action_id in OPENED_BY:
        app.action(action_id)(open_form)

    @app.action(ActionId.SETTINGS_EDIT_QUEUE)
    def on_edit_queue(ack: Ack, body: dict, action: dict, client, runtime: Runtime, viewer,
                      later):  # fmt: skip
        settings_forms.require_admin(viewer)
        later(
            settings_forms.open_form, runtime, client, workspace_id=workspace_of(body),
            viewer=viewer, which="queue", trigger_id=body["trigger_id"],
            index=str(action.get("value") or ""), push=True,
        )  # fmt: skip
        ack()

    def save(ack: Ack, body: dict, view: dict, client, quick, runtime: Runtime, viewer, later):
        workspace = workspace_of(body)
        form = SAVED_BY[view["callback_id"]]
        errors = settings_forms.save_form(
            runtime, workspace_id=workspace, viewer=viewer, form=form, view=view, client=quick
        )
        if errors:
            ack(response_action="errors", errors=errors)
            return
        if form == "queue":  # over the list of queues: close both
            ack(response_action="clear")
        else:
            ack()
        later.soon(_republish, runtime, client, workspace, viewer)

    for callback_id in SAVED_BY:
        app.view(callback_id)(save)

    @app.options(F.GROUPS)
    def on_group_options(ack: Ack, body: dict, quick, runtime: Runtime, viewer):
        ack(**settings_forms.group_choices(runtime, quick, viewer, body.get("value") or ""))
