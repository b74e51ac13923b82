"""The engines' pools as the metrics see them: connections checked out, and given back."""

from __future__ import annotations

from sqlalchemy import text

from tests.support.metrics import current


def test_connections_in_use_are_counted_while_a_transaction_holds_them(database):
    idle = current("ticketbot_db_connections_in_use")
    with database.transaction() as session:
        session.execute(text("SELECT 1"))
        assert current("ticketbot_db_connections_in_use") == idle + 1
        with database.transaction(read_only=True) as other:
            other.execute(text("SELECT 1"))
            assert current("ticketbot_db_connections_in_use") == idle + 2
    assert current("ticketbot_db_connections_in_use") == idle
    assert database.ping()
    assert current("ticketbot_db_connections_in_use") == idle
