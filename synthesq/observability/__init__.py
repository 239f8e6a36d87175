"""Running in production: logs (``logs``), business events (``events``), metrics (``metrics``), health probes
(``health``), error reports (``sentry``). It sits on top of the apps: it follows their signals, and the apps
call only ``events`` (plain values in, nothing of theirs imported)."""
