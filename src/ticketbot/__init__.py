"""ticketbot: Slack-native ticketing with engagement deadlines."""

__version__ = "0.1.0"
