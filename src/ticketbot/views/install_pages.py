"""The web pages of Slack's install flow (GET /slack/install and /slack/oauth_redirect):
pure functions from what happened to a whole HTML document, in the reader's language."""

from __future__ import annotations

from html import escape

from ticketbot.i18n import _, current_language

# Slack's own Add to Slack button (its brand guidelines), drawn here rather than loaded.
_STYLE = """
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       margin: 0; background: #f8f8f8; color: #1d1c1d; }
main { max-width: 34rem; margin: 4rem auto; background: #fff; padding: 2rem 2.5rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0, 0, 0, .12); }
h1 { font-size: 1.5rem; margin-top: 0; }
li { margin: .4rem 0; }
code { background: #f4f4f4; padding: 0 .25rem; border-radius: 3px; }
.add { display: inline-flex; align-items: center; gap: .6rem; padding: .7rem 1.2rem;
       border: 1px solid #ddd; border-radius: 6px; color: #1d1c1d; font-weight: 600;
       text-decoration: none; font-size: 1rem; }
.add:hover { background: #f4f4f4; }
.scopes { color: #616061; font-size: .9rem; }
.problem { border-left: 4px solid #e01e5a; padding-left: 1rem; }
"""
_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" viewBox="0 0 122.8 122.8" '
    'aria-hidden="true"><path fill="#e01e5a" d="M25.8 77.6a12.9 12.9 0 1 1-12.9-12.9h12.9zm6.5 '
    '0a12.9 12.9 0 0 1 25.8 0v32.3a12.9 12.9 0 1 1-25.8 0z"/><path fill="#36c5f0" d="M45.2 '
    "25.8a12.9 12.9 0 1 1 12.9-12.9v12.9zm0 6.5a12.9 12.9 0 0 1 0 25.8H12.9a12.9 12.9 0 1 1 "
    '0-25.8z"/><path fill="#2eb67d" d="M97 45.2a12.9 12.9 0 1 1 12.9 12.9H97zm-6.5 0a12.9 12.9 '
    '0 0 1-25.8 0V12.9a12.9 12.9 0 1 1 25.8 0z"/><path fill="#ecb22e" d="M77.6 97a12.9 12.9 0 '
    '1 1-12.9 12.9V97zm0-6.5a12.9 12.9 0 0 1 0-25.8h32.3a12.9 12.9 0 1 1 0 25.8z"/></svg>'
)


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{current_language()}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def install_page(authorize_url: str, scopes: list[str]) -> str:
    """The page with the Add to Slack button, which links to Slack's authorize URL."""
    title = _("Add ticketbot to Slack")
    asks = _("ticketbot will ask your workspace for: {scopes}.").format(
        scopes=", ".join(f"<code>{escape(s)}</code>" for s in scopes)
    )
    pitch = _("Raise, work and follow tickets without leaving Slack.")
    button = _("Add to Slack")
    who = _("Only a workspace admin, or a member the admins allow, can install it.")
    body = (
        f"<h1>{escape(title)}</h1>\n"
        f"<p>{escape(pitch)}</p>\n"
        f'<p><a id="add-to-slack" class="add" href="{escape(authorize_url)}">{_LOGO}'
        f"{escape(button)}</a></p>\n"
        f'<p class="scopes">{asks}</p>\n'
        f"<p>{escape(who)}</p>"
    )
    return _page(title, body)


def installed_page(team_name: str | None, app_url: str | None) -> str:
    """After the install: what the person who installed it does next."""
    title = _("ticketbot is installed")
    where = team_name or _("your workspace")
    steps = [
        _("Open ticketbot in Slack with the button below: its App Home lists your tickets."),
        _("Invite it to the channel where agents work the tickets: /invite @ticketbot"),
        _("Anyone can then raise a ticket with /ticket."),
    ]
    opens = _("Open Slack")
    link = (
        f'<p><a id="open-slack" class="add" href="{escape(app_url)}">{_LOGO}'
        f"{escape(opens)}</a></p>\n"
        if app_url
        else ""
    )
    added = _("ticketbot was added to {workspace}.").format(workspace=where)
    next_steps = _("What to do next:")
    body = (
        f"<h1>{escape(title)}</h1>\n"
        f'<p id="installed">{escape(added)}</p>\n'
        f"<p>{escape(next_steps)}</p>\n<ol>\n"
        + "".join(f"<li>{escape(step)}</li>\n" for step in steps)
        + f"</ol>\n{link}"
    )
    return _page(title, body)


def failed_page(reason: str, install_url: str) -> str:
    """The install did not finish: why, in words, and the way to start again."""
    why = {
        "invalid_state": _(
            "This install link has expired or was used already. Each link works once, "
            "for ten minutes."
        ),
        "invalid_browser": _(
            "This install link does not match the one this browser started (it was "
            "changed, opened in another browser, or its cookie was blocked): nothing was "
            "installed. Start the install again from this browser."
        ),
        "access_denied": _("The install was cancelled in Slack: nothing was installed."),
        "missing_code": _("Slack sent no authorization code back: nothing was installed."),
        "invalid_code": _(
            "Slack did not accept the authorization code (it may have been used already): "
            "nothing was installed."
        ),
        "storage_error": _("The installation could not be saved. Please try again."),
        "organisation_install": _(
            "ticketbot is installed on each workspace, not on a whole organisation: install "
            "it again and pick a workspace in Slack's page. Nothing was installed."
        ),
    }.get(reason, _("Slack ended the install with an error: nothing was installed."))
    title = _("ticketbot was not installed")
    code = _("Reason: {reason}").format(reason=reason)
    again = _("Start the install again")
    body = (
        f"<h1>{escape(title)}</h1>\n"
        f'<p id="problem" class="problem">{escape(why)}</p>\n'
        f'<p class="scopes">{escape(code)}</p>\n'
        f'<p><a id="start-again" class="add" href="{escape(install_url)}">'
        f"{escape(again)}</a></p>"
    )
    return _page(title, body)
