"""History sync: contacts and documents of the configured accounting system into a local SQL store, with exports.

No Prefect here: `flows/sync_history.py` runs these steps as tasks, `lexflow sync` runs them with a progress bar.
"""

from lexflow.sync.audit import SyncAudit
from lexflow.sync.engine import HistorySync, MixedHistories, SyncReport, stream_of
from lexflow.sync.export import export_store
from lexflow.sync.store import SyncStore

__all__ = ["HistorySync", "MixedHistories", "SyncAudit", "SyncReport", "SyncStore", "export_store", "stream_of"]
