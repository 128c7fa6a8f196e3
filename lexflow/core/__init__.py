"""The provider-neutral core: records, the `Provider` interface, capabilities as data, and their errors.

No Prefect and no provider import here; providers plug in through `lexflow.providers`.
"""

from lexflow.core.capabilities import Capabilities, Support
from lexflow.core.errors import (
    AdapterNotBuilt,
    CapabilityMissing,
    CoreError,
    InvalidRecord,
    RecordNotFound,
    UnknownProvider,
    UnknownTaxCode,
)
from lexflow.core.provider import Provider
from lexflow.core.tax import TaxMapping

__all__ = [
    "AdapterNotBuilt",
    "Capabilities",
    "CapabilityMissing",
    "CoreError",
    "InvalidRecord",
    "Provider",
    "RecordNotFound",
    "Support",
    "TaxMapping",
    "UnknownProvider",
    "UnknownTaxCode",
]
