"""State changes shared by the API routes and the UI-only actions of the control API."""
