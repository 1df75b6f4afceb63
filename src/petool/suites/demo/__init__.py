"""The built-in ``demo`` suite, shipped inside the package (made by ``petool.synth.demo``).

Importing this package registers the suite loader under ``demo``. Its scorer and prompt style
are petool's generic ``unified`` ones (named in ``data/suite.json``), so it registers nothing
else.
"""

from petool.suites.demo.loader import DEMO_DIR, DESCRIPTION, NAME, load_demo
from petool.suites.registry import register_suite

register_suite(NAME, DESCRIPTION)(load_demo)

__all__ = ["DEMO_DIR", "load_demo"]
