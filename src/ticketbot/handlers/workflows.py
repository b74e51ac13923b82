"""Workflow Builder: the "Raise a ticket" step (slack/workflows.py)."""

from __future__ import annotations

from slack_bolt import App

from ticketbot.runtime import Runtime
from ticketbot.services.errors import InvalidInput
from ticketbot.slack import workflows
from ticketbot.slack.request import workspace_of
from ticketbot.slack.setup import not_set_up_notice


def register(app: App) -> None:
    @app.function(workflows.RAISE_TICKET)
    def on_raise_ticket(event: dict, body: dict, client, quick, runtime: Runtime, later):
        token = event.get("bot_access_token")
        step = workflows.Step(
            execution_id=str(event.get("function_execution_id") or ""),
            token=token if isinstance(token, str) else None,
        )
        if not step.execution_id:
            return  # nothing to report to: not a step Slack runs
        waiting = not_set_up_notice(runtime)  # the workflow's run shows why: no ticket
        if waiting is not None:
            later.soon(workflows.fail_step, client, step, waiting["text"])
            return
        try:
            new = workflows.raise_from_step(
                runtime, quick, workspace_id=workspace_of(body), step=step,
                inputs=event.get("inputs"),
            )  # fmt: skip
        except InvalidInput as refused:
            later.soon(workflows.fail_step, client, step, refused.message)
            return
        if new is not None:
            later.soon(workflows.finish_step, runtime, client, step, new)
