"""All SQL lives in this package; `calendar_hub.store.outcomes` holds what was here until the split by concept."""

from calendar_hub.store.outcomes import *  # noqa: F403
