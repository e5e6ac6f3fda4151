from chatserver.cli.commands import main

raise SystemExit(main())
