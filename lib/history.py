"""History's names where the labs have always imported them; the store itself is lib/storage/results.py."""

from lib.storage.results import (  # noqa: F401 - re-exported
    LOCAL,
    LOCAL_OWNER,
    HistoryEntry,
    HistoryStore,
    OwnerTotals,
    StoredAnswer,
    StoredImage,
    Viewer,
    entry_zip,
)
