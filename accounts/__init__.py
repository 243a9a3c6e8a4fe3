"""Accounts: users, licences, board IDs, passwords, roles, sessions, the audit trail, and the
sign-in, registration, password and profile pages."""
