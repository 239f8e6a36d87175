"""``python -m synthesq …`` (and the ``synthesq-sales`` script): ``manage.py`` for an installed copy, which has
no checkout and so no ``manage.py``. Settings default to ``synthesq.settings.base`` as with ``manage.py``."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "synthesq.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
