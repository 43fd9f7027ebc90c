"""`python -m desktop` runs the same entry point as the `exposure` command; so does the
PyInstaller bundle's executable (installer/exposure.spec builds it from this file)."""

import multiprocessing

from desktop.cli import main

if __name__ == "__main__":
    # In the bundle the executable is re-entered for the fork server and the worker processes
    # (desktop.gui.tasks.run_in_child): this turns that start-up into the child's work instead
    # of a second app. It does nothing when run from a Python interpreter.
    multiprocessing.freeze_support()
    raise SystemExit(main())
