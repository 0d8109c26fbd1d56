import sys

from micrograd_id.cli import main

sys.exit(main())
