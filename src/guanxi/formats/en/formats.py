# See guanxi/formats/__init__.py: the same formats in every language.
from guanxi.formats.shared import *  # noqa: F403
