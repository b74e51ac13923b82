"""Slack's limits on what a message or a view may hold: one table, used by every builder.

From Block Kit's reference (https://api.slack.com/reference/block-kit): a longer text or a
longer list makes Slack refuse the whole message or view."""

# Blocks
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_CONTEXT_ELEMENTS = 10
MAX_FIELDS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_OPTIONS = 100

# Texts, in characters
MESSAGE_TEXT = 40000  # the fallback `text` of a message (Slack truncates it past 40,000)
MESSAGE_FALLBACK = 3000  # what we send as fallback: notifications show far less anyway
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_TEXT = 3000
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
OPTION_TEXT = 75
OPTION_VALUE = 150
PLACEHOLDER_TEXT = 150
LABEL_TEXT = 2000
HINT_TEXT = 2000
INPUT_VALUE = 3000
MODAL_TITLE = 24
MODAL_BUTTON = 24  # submit and close
PRIVATE_METADATA = 3000
