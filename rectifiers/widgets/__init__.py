"""ipywidgets explorers for live sessions (JupyterLab): `common` holds the shared mechanisms (static-book notice,
busy line, latest-wins updates), the other modules one chapter's explorers each.
"""
