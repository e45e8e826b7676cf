"""The web desk (SPEC §9): an adapter, like `inbound`, that reads the workflow's views, planning
and documents and owns its framework, sessions and sign-in tokens. It changes no ticket: every
action is a `mailto:` link back into the mail path. Nothing here is imported by `workflow`."""
