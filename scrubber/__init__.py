"""scrubber: a claim scrubber for radiation-oncology image-guidance billing."""

from scrubber.errors import X12InputError

__version__ = "0.1.0"

__all__ = ["X12InputError", "__version__"]
