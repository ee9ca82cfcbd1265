"""Execution tricks that earn their place by a bench: see README.md here."""
