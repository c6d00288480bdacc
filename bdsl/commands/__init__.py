"""One module per bdsc subcommand (see bdsl.cli.COMMANDS)."""
