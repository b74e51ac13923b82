"""The `ticketbot` command as an operator meets it: clear one-line errors, exit 2, no traceback."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

ENV_KEYS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "TICKETBOT_CONFIG",
    "DATABASE_URL",
    "SLACK_API_URL",
)


def run(args, tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "ticketbot.cli", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_config_reports_the_bad_key_in_one_line(tmp_path):
    (tmp_path / "ticketbot.yml").write_text("sla:\n  warn_at: [2]\n")
    result = run(["check-config"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ticketbot: ticketbot.yml: sla.warn_at.0: Input should be less than 1"
    )
    assert "Traceback" not in result.stderr


def test_check_config_prints_every_problem_on_its_own_line(tmp_path):
    (tmp_path / "ticketbot.yml").write_text(
        "colour: blue\ntriage_channel: '#support'\nsla:\n  warn_at: [2]\n"
    )
    result = run(["check-config"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ticketbot: ticketbot.yml: colour: unknown key (see ticketbot.example.yml for the keys)",
        "ticketbot: ticketbot.yml: triage_channel: '#support' is not a Slack channel id (C...)",
        "ticketbot: ticketbot.yml: sla.warn_at.0: Input should be less than 1",
    ]
    assert "more problem" not in result.stderr and result.stdout == ""


def test_every_command_prints_every_problem(tmp_path):
    (tmp_path / "ticketbot.yml").write_text("sla:\n  warn_at: [2]\nagents: [UXXXXXXXX]\n")
    result = run(["db", "upgrade"], tmp_path, LOG_FORMAT="xml", SMTP_FROM="nope")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ticketbot: environment: log_format: Input should be 'text' or 'json'",
        "ticketbot: environment: smtp_from: 'nope' is not an email address "
        "(e.g. Support <help@acme.com>)",
    ]
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "ticketbot: ticketbot.yml: sla.warn_at.0: Input should be less than 1",
        "ticketbot: ticketbot.yml: agents.0: 'UXXXXXXXX' is a placeholder: put a real user id "
        "(U...) or user group id (S...) here",
    ]
    assert not (tmp_path / "ticketbot.db").exists()  # refused before touching the database


def test_check_config_accepts_the_example(tmp_path):
    example = os.path.join(os.path.dirname(__file__), "..", "ticketbot.example.yml")
    result = run(["check-config"], tmp_path, TICKETBOT_CONFIG=example)
    assert result.returncode == 0, result.stderr
    assert "config ok" in result.stdout and "C0SLAALERT" in result.stdout
    assert "weekly report: Mon 09:00 Europe/Paris -> C0SLAALERT" in result.stdout


def test_serve_without_tokens_says_which_are_missing(tmp_path):
    result = run(["serve"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ticketbot: missing environment variable(s): SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"
    )


def test_socket_mode_needs_the_app_token(tmp_path):
    result = run(["socket"], tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("seconds", ["0", "-1", "inf", "soon"])
def test_socket_mode_ping_interval_is_a_positive_number_of_seconds(tmp_path, seconds):
    result = run(["socket", "--ping-interval", seconds], tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    assert result.returncode == 2
    assert result.stderr.strip().endswith(
        f"argument --ping-interval: {seconds!r} is not a positive number of seconds"
    )


def test_db_upgrade_creates_the_default_sqlite_file(tmp_path):
    result = run(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database at revision" in result.stdout
    assert (tmp_path / "ticketbot.db").exists()


def test_unreachable_database_is_one_line(tmp_path):
    result = run(
        ["db", "upgrade"], tmp_path, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert result.returncode == 2
    assert result.stderr.startswith("ticketbot: cannot reach the database")
    assert len(result.stderr.strip().splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_healthz_on_sqlite(tmp_path, fake_slack):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="secret", SLACK_API_URL=fake_slack.api_url
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ticketbot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "2",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        for _ in range(300):  # waiting for a process to start, not for the app's clock
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                body = response.json()
                break
            except requests.ConnectionError:
                if server.poll() is not None:
                    pytest.fail(server.stdout.read())
                time.sleep(0.05)
        assert response.status_code == 200
        assert body == {"status": "ok", "database": True}
        unsigned = requests.post(f"http://127.0.0.1:{port}/slack/events", data="x", timeout=5)
        assert unsigned.status_code == 401
        # An idle kept connection outlives gunicorn's default 2 s: the client (Slack, a proxy)
        # closes it first, so no request is sent on a connection the server just closed.
        kept = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        kept.request("GET", "/healthz")
        assert kept.getresponse().read()
        sock = kept.sock
        time.sleep(2.5)  # a real socket's idle time, not the app's clock
        kept.request("GET", "/healthz")
        assert kept.getresponse().status == 200
        assert kept.sock is sock
        kept.close()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert "xoxb-test" not in output
    assert (tmp_path / "ticketbot.db").exists()


def test_sigterm_finishes_work_in_flight_and_exits_cleanly(tmp_path, fake_slack):
    """The ack goes back at once; the modal opens after it. SIGTERM right after the ack must
    still let that work finish before the worker exits."""
    import signal

    from tests.support.scenario import SIGNING_SECRET
    from tests.support.slack_requests import SlackSender

    port = _free_port()
    (tmp_path / "ticketbot.yml").write_text("triage_channel: C0HELPDESK\n")  # set up
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=fake_slack.api_url, LOG_FORMAT="json")
    server = subprocess.Popen(
        [sys.executable, "-m", "ticketbot.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--threads", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        for _ in range(300):
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        fake_slack.fail_next("views.open", status=200, delay=1.5)  # slow Slack after the ack
        sender = SlackSender(f"http://127.0.0.1:{port}", SIGNING_SECRET,
                             response_url=fake_slack.response_url)
        assert sender.command("new Printer").status_code == 200
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, output
    opened = [c for c in fake_slack.calls("views.open") if not c.failed]
    assert len(opened) == 1, output
    assert '"message": "worker stopped cleanly"' in output
    assert "xoxb-test" not in output


QUEUES = """\
triage_channel: C0HELPDESK
agents: [U0ALICE01]
queues:
  - name: IT
    request_channels: [C0ITHELP1]
    triage_channel: C0ITTRIAG
    agents: [U0BOB0001, S0ITTEAM1]
    assign: round_robin
  - name: HR
    request_channels: [C0HRHELP1]
    private: true
    capture: ask
    sla:
      standard_hours: {urgent: 4}
"""


def test_check_config_prints_each_queue(tmp_path):
    (tmp_path / "ticketbot.yml").write_text(QUEUES)
    result = run(["check-config"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        "  queue IT (it): triage C0ITTRIAG, requests from C0ITHELP1, 2 agents, "
        "capture every_message, assign round_robin"
    ) in lines
    assert (
        "  queue HR (hr): triage C0HELPDESK, requests from C0HRHELP1, 1 agents, "
        "capture ask, assign none, private"
    ) in lines


def test_check_config_refuses_queues_that_cannot_work(tmp_path):
    (tmp_path / "ticketbot.yml").write_text(
        "queues:\n"
        "  - name: IT\n    request_channels: [C0SHARED1]\n    triage_channel: C0ITTRIAG\n"
        "  - name: HR\n    request_channels: [C0SHARED1]\n"
        "  - name: Legal\n    triage_channel: C0LEGAL01\n    sla: {warn_at: [3]}\n"
    )
    result = run(["check-config"], tmp_path)
    assert result.returncode == 2
    problems = result.stderr
    assert "HR: C0SHARED1 is already a request channel of IT" in problems
    assert "HR: no triage channel" in problems
    assert "Legal: sla.warn_at.0" in problems
    assert "Traceback" not in problems and result.stdout == ""


def test_settings_round_trip_through_yaml(tmp_path):
    database = f"sqlite:///{tmp_path / 'bot.db'}"
    (tmp_path / "ticketbot.yml").write_text("triage_channel: C0SUPPORT1\nagents: [U0AGT0001]\n")
    good = tmp_path / "new.yml"
    good.write_text(
        "triage_channel: C0SUPPORT1\nqueues:\n  - name: IT\n    triage_channel: C0ITDESK01\n"
        "    agents: [U0AGT0001]\n    assign: round_robin\n"
    )
    imported = run(["settings", "import", str(good), "--workspace", "T0TEAM001"], tmp_path,
                   DATABASE_URL=database)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    # What changed from ticketbot.yml: a queue, and no top-level agents any more.
    assert imported.stdout.strip() == "settings of T0TEAM001: version 1 (queue IT added, agents)"
    exported = run(["settings", "export"], tmp_path, DATABASE_URL=database)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("# ticketbot settings of T0TEAM001: version 1, ")
    assert "by import new.yml" in exported.stdout.splitlines()[0]
    back = tmp_path / "back.yml"
    back.write_text(exported.stdout)
    again = run(["settings", "import", str(back)], tmp_path, DATABASE_URL=database)
    # The same settings: no new version.
    assert again.stdout.strip() == "settings of T0TEAM001: version 1 (queue IT added, agents)"

    bad = tmp_path / "bad.yml"
    bad.write_text("queues:\n  - name: IT\n    capture: always\n")
    refused = run(["settings", "import", str(bad)], tmp_path, DATABASE_URL=database)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith(f"ticketbot: {bad}: queues.0.capture: Input should be")
    after = run(["settings", "export"], tmp_path, DATABASE_URL=database)
    assert after.stdout == exported.stdout  # nothing half-written


def _serve_process(tmp_path, api_url: str, token: str, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET="secret", SLACK_API_URL=api_url)
    return subprocess.Popen(
        [sys.executable, "-m", "ticketbot.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1", "--threads", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_serve_starts_while_slack_cannot_be_reached(tmp_path):
    """Slack down (or the network not up yet) when the bot starts: it serves all the same,
    rather than failing its workers' boot, and says it could not learn its workspace."""
    closed = _free_port()  # nothing listens there
    port = _free_port()
    server = _serve_process(tmp_path, f"http://127.0.0.1:{closed}/api/", "xoxb-test", port)
    try:
        response = None
        for _ in range(600):  # waiting for a process to start, not for the app's clock
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except (requests.ConnectionError, requests.Timeout):  # still booting
                if server.poll() is not None:
                    pytest.fail(server.stdout.read())
                time.sleep(0.05)
        assert response is not None and response.status_code == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert output.count("Slack not reachable at start") == 1  # asked once, not again
    assert "workspace not known at start" not in output
    assert "Worker failed to boot" not in output


def test_serve_refuses_to_start_with_a_token_slack_refuses(tmp_path, fake_slack):
    server = _serve_process(tmp_path, fake_slack.api_url, "not-a-slack-token", _free_port())
    output, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert "invalid_auth" in output
    assert "not-a-slack-token" not in output
