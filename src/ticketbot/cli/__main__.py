import sys

from ticketbot.cli import main

sys.exit(main())
