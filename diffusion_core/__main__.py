"""Command line: python -m diffusion_core {data,train,sample,bench,pretrain} ..."""

import sys

from .cli import main

sys.exit(main())
