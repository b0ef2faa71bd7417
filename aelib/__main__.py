"""``python -m aelib``: execute the chapters and build the book (see :mod:`aelib.execute`)."""

import sys

from .execute import main

sys.exit(main())
