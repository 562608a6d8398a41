from logwatch.cli import main

raise SystemExit(main())
