"""Test settings shared by every test module."""

import os

# The cache of earlier runs (needsassess.cache) stays off unless a test asks for it with a folder of
# its own: tests read files they have just written or changed, and some stand in for the reader.
os.environ["NEEDSASSESS_CACHE"] = "0"
