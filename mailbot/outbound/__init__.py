"""Outbound room: outbox rows rendered to mails (jinja2) and sent (SMTP or folder) by dramatiq actors."""
