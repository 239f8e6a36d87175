"""Database backends of the project (``ENGINE`` values)."""
