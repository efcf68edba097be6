"""``python -m bot`` is the same as ``torun-bot``."""

import sys

from bot.cli import main

sys.exit(main())
