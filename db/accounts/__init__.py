"""Accounts: users, passwords (argon2id), access tokens (JWT), sign-in throttling, profiles."""
