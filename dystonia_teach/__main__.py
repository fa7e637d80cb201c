"""``python -m dystonia_teach``: the same command as ``dystonia-teach``."""

from dystonia_teach.cli import main

if __name__ == "__main__":
    main()
