"""History sync: Lexware contacts, voucher list and document details into a local SQL store, with exports.

No Prefect here: `flows/sync_history.py` runs these steps as tasks, `lexflow sync` runs them with a progress bar.
"""

from lexflow.sync.audit import SyncAudit
from lexflow.sync.engine import DETAIL_RESOURCE, HistorySync, SyncReport
from lexflow.sync.export import export_store
from lexflow.sync.store import SyncStore

__all__ = ["DETAIL_RESOURCE", "HistorySync", "SyncAudit", "SyncReport", "SyncStore", "export_store"]
