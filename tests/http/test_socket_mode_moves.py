"""Slack's `disconnect` message is handled on another thread than the one that read it: by
then the connection it was about may have ended (Slack closed it too) and the keeper opened
the next one. The client moves only off the connection the message was about, so the bot
never opens two connections for one move (Socket Mode's connections are counted per app)."""

from __future__ import annotations

import logging
import threading
from queue import Queue

import pytest

from ticketbot.http.socket_mode import _Client

DISCONNECT = '{"type": "disconnect", "reason": "refresh_requested", "debug_info": {}}'


class Session:
    """Stands for one websocket connection."""


@pytest.fixture
def client(monkeypatch) -> _Client:
    """The client's moving logic alone: no threads, no network; its connects are counted."""
    client = _Client.__new__(_Client)
    client.connect_operation_lock = threading.Lock()
    client.message_queue = Queue()
    client.logger = logging.getLogger("test.socket")
    client.current_session = Session()
    client.closed = False
    client.opened: list[str] = []
    monkeypatch.setattr(client, "issue_new_wss_url", lambda: "wss://example.invalid/link")
    monkeypatch.setattr(client, "connect", lambda: client.opened.append(client.wss_uri))
    monkeypatch.setattr(client, "is_connected", lambda: client.current_session is not None)
    return client


def test_a_disconnect_moves_off_the_connection_it_came_on(client):
    client.enqueue_message(DISCONNECT)
    assert client.message_queue.get_nowait() == DISCONNECT  # still handled by slack_sdk
    client.connect_to_new_endpoint(force=True)
    assert client.opened == ["wss://example.invalid/link"]


def test_a_disconnect_about_a_connection_the_keeper_replaced_opens_nothing(client):
    client.enqueue_message(DISCONNECT)
    client.current_session = Session()  # it ended, and the keeper opened the next one
    client.connect_to_new_endpoint(force=True)
    assert client.opened == []


def test_a_disconnect_about_a_connection_that_ended_leaves_the_reconnect_to_the_keeper(client):
    client.enqueue_message(DISCONNECT)
    client.current_session = None  # ended; the keeper is about to open the next one
    client.connect_to_new_endpoint(force=True)
    assert client.opened == []


def test_other_messages_mark_no_move(client):
    client.enqueue_message('{"type": "hello", "num_connections": 1}')
    client.enqueue_message('{"envelope_id": "1", "payload": {"text": "disconnect"}}')
    client.connect_to_new_endpoint(force=True)  # a move nobody asked for over this link
    assert client.opened == []
    client.current_session = None
    client.connect_to_new_endpoint()  # not forced: connects when not connected
    assert client.opened == ["wss://example.invalid/link"]
