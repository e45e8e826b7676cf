"""mailbot: an email-driven helpdesk run entirely by mail."""

__version__ = "0.1.0"
