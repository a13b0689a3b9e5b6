"""Alembic's script directory for sharekit: ``env.py``, ``versions/``, ``script.py.mako``.

Run through :mod:`sharekit.storage.migrate`; nothing here is imported by sharekit itself.
"""
