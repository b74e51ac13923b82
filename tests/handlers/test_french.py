"""With `language: fr` the whole Slack flow speaks French, in the seed CRMs' vocabulary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from slack_sdk import WebClient

from tests.support.slack_payloads import static
from tests.support.steps import card_action, card_updated, create_ticket
from ticketbot.config import TicketbotConfig
from ticketbot.ids import ActionId
from ticketbot.jobs.sla_alerts import run_pass


@pytest.fixture
def config() -> TicketbotConfig:
    return TicketbotConfig.model_validate(
        {
            "agents": ["U0AGT0001"],
            "triage_channel": "C0SUPPORT1",
            "language": "fr",
            "sla": {"alert_channel": "C0SLAALERT"},
        }
    )


def test_create_card_status_history_and_alert_in_french(slack):
    slack.send.command("new Imprimante bloquée")
    view = slack.fake.wait_for("views.open")[0].args["view"]
    assert view["title"]["text"] == "Nouveau ticket"
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "Titre",
        "Description",
        "Priorité",
        "Engagement",
        "Catégorie",
        "Attribuer à",
        "Relatif à",
        "Produit",
        "Visibilité",
    ]
    priority = next(b for b in view["blocks"] if b.get("block_id") == "priority")
    assert [o["text"]["text"] for o in priority["element"]["options"]] == [
        "Basse",
        "Normale",
        "Haute",
        "Urgente",
    ]
    engagement = next(b for b in view["blocks"] if b.get("block_id") == "engagement")
    assert [o["text"]["text"] for o in engagement["element"]["options"]] == [
        "Standard",
        "2 h",
        "4 h",
        "6 h",
        "8 h",
        "24 h",
        "48 h",
        "72 h",
    ]

    create_ticket(slack, "Imprimante bloquée", priority="urgent")
    card = slack.card(1)
    fields = " ".join(f["text"] for f in card["blocks"][1]["fields"])
    for word in (
        "Statut",
        "Ouvert",
        "Priorité",
        "Urgente",
        "Échéance",
        "Dans les temps",
        "Demandeur",
        "Relatif à",
    ):
        assert word in fields
    controls = card["blocks"][-1]["elements"]
    assert [o["text"]["text"] for o in controls[0]["options"]] == [
        "Ouvert",
        "Attente réponse",
        "En cours",
        "Fermé",
    ]
    assert [e["text"]["text"] for e in controls[2:]] == [
        "Modifier",
        "Commenter",
        "Historique",
        "Éléments liés",
        "Répondre au demandeur",
        "Suivre",
    ]

    card_action(
        slack,
        ActionId.STATUS,
        user_id="U0AGT0001",
        selected_option=static("in_progress")["selected_option"],
    )
    card_updated(slack, 0)
    assert "En cours" in str(slack.card(1)["blocks"][1])

    card_action(slack, ActionId.HISTORY, user_id="U0AGT0001")
    history = slack.fake.wait_for("views.open", 3)[-1].args["view"]
    assert history["title"]["text"] == "Historique ticket"
    assert "*Statut* : Ouvert → En cours" in str(
        history["blocks"]
    ) or "*Statut*: Ouvert → En cours" in str(history["blocks"])

    slack.clock.advance(timedelta(hours=3))
    client = WebClient(token="xoxb-test", base_url=slack.fake.api_url)
    run_pass(slack.runtime, client, sleep=lambda _: None)
    alert = [
        c.args for c in slack.fake.calls("chat.postMessage") if c.args["channel"] == "C0SLAALERT"
    ][-1]
    assert "75 % de l’engagement écoulé" in alert["text"]
    assert "reste 1 h" in str(alert["blocks"]) and "Urgente" in str(alert["blocks"])
