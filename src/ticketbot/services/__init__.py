"""The domain: plain Python over SQLAlchemy sessions, no Slack imports."""
