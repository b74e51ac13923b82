"""What every command starts from: the runtime, the migrated database, `--now`."""

from __future__ import annotations

from ticketbot.config import ConfigError


def open_runtime():
    from ticketbot.logs import configure_logging
    from ticketbot.runtime import Runtime

    runtime = Runtime.from_environment()
    configure_logging(runtime.settings.log_level, runtime.settings.log_format)
    return runtime


def upgrade_database(runtime) -> None:
    from sqlalchemy.exc import OperationalError

    from ticketbot.store.migrate import upgrade

    try:
        upgrade(runtime.database)
    except OperationalError as error:
        raise ConfigError(
            f"cannot reach the database at {runtime.database.url.render_as_string()}: "
            f"{str(error.orig).strip().splitlines()[0]}"
        ) from None


def parse_now(text: str | None):
    """--now as an aware UTC time (naive: UTC), or None."""
    from datetime import UTC, datetime

    if not text:
        return None
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now: {text!r} is not an ISO 8601 time") from None
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
