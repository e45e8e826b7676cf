"""The mail templates (fr/, en/), shipped as the package `mailbot.templates` (see pyproject.toml)
and read with importlib.resources: `notification` frames the events of one notification, each
told by its template under events/; each answer has a template of its own."""
