"""The Textual app (``ui.app``). Imports only Textual and the service layer, never the
store; services are imported lazily (in workers) so the login screen paints first."""
