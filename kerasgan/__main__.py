import sys

from kerasgan.cli import main

sys.exit(main())
