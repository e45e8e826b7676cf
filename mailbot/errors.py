"""The exception tree of mailbot: every error the program raises on purpose."""


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose."""


class ConfigError(MailbotError):
    """Bad configuration; the message is one line naming the setting."""


class ParseError(MailbotError):
    """A mail could not be read at all (not RFC 822, empty)."""


class TransitionError(MailbotError):
    """A status change that the status table forbids."""

    def __init__(self, current: str, action: str):
        super().__init__(f"'{action}' is not allowed on a ticket in status '{current}'")
        self.current = current
        self.action = action


class NotFound(MailbotError):
    """A ticket, user or record asked for does not exist."""


class DeliveryError(MailbotError):
    """Sending a notification failed."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent
