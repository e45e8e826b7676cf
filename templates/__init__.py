"""The notification templates (fr/, en/): a text and an HTML template per event, shipped as the
package `mailbot.templates` (see pyproject.toml) and read with importlib.resources."""
