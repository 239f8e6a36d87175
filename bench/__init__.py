"""Benchmarks that print figures (not tests), each run as ``python -m bench.<module>`` by a Makefile target (see the
README's Benchmarks section), and the helpers they and the served-node tests share (``nodes``, ``multinode``,
``scratch_db``)."""
