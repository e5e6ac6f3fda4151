"""The ``chatserver`` command line: :mod:`.commands` (the entry point and the
core subcommands), :mod:`.common` (what subcommands share), :mod:`.serve`,
:mod:`.migrate_to`. Feature modules add their own subcommands."""
