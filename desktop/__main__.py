"""`python -m desktop` runs the same entry point as the `exposure` command."""

from desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
