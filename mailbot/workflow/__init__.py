"""The helpdesk's domain: tickets, their statuses and what a mail does to them."""
