"""Screens, one per page of the web portal: login, two-step login, password reset, the
main shell with its side menu, and the confirmation dialog."""
