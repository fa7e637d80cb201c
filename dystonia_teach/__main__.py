"""``python -m dystonia_teach``: the same command as ``dystonia-teach``."""

from .cli import main

if __name__ == "__main__":
    main()
