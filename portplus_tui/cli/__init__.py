"""The provider's command line (``portplus <command>``).

Exit codes: 0 done; 1 a failure that is not the input's fault (a mail that could not be
sent, someone else changed the row first, an unexpected error, logged with its
traceback); 2 a usage or validation error (one line on stderr, nothing written);
130 interrupted (Ctrl-C). Messages on stderr follow ``--lang`` / ``lang``; what a
command prints on stdout (its data, its one-line confirmations) is a fixed format.

Modules: ``main`` (parse, settings, run, errors to exit codes), ``parser``, ``base``
(exit codes, ``CliError``, the context of a command), ``launch`` (starting the app),
``data`` (init, company, calendar, applications, demo), ``accounts`` (account, outbox,
audit), ``reach`` (ssh-session, serve, web-session), ``keys``.

Imports are kept lazy: a plain ``portplus`` imports ``main``, ``base`` and ``launch``
only, never argparse or the command modules.
"""
