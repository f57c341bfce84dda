"""``python -m microflask``: the same as the ``microflask`` command."""

from .cli import main

if __name__ == "__main__":
    main()
