"""Accounts: who may do what — logins, sessions, roles."""
