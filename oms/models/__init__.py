"""All models, imported here so Alembic and the app see one complete metadata."""

from oms.models.base import Base
from oms.models.bulk import (
    BulkItem,
    BulkJob,
    BulkSelection,
    ItemState,
    SelectionSource,
    bulk_selection_orders,
)
from oms.models.catalog import Sku, SkuMapping, Stock
from oms.models.customers import AddressKind, BlacklistStatus, Customer, CustomerAddress
from oms.models.marketplace import (
    MallOrderState,
    MallSyncFailure,
    NumberCounter,
    ShopSync,
    StockUpload,
    SyncTarget,
    TargetState,
)
from oms.models.notifications import JobState, Notification
from oms.models.orders import (
    TABS,
    FraudCheck,
    LineStatus,
    LinkResult,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusCount,
    SearchPreset,
    StatusHistory,
    order_tags,
)
from oms.models.payments import PaymentKind, PaymentMethod, PaymentStatus
from oms.models.settings import AttentionReason, DateStamp, HandlingStatus, MallKind, Shop, Tag
from oms.models.shipping import Shipment, ShipmentLine
from oms.models.users import AuditEvent, Role, User

__all__ = [
    "TABS",
    "AddressKind",
    "AttentionReason",
    "AuditEvent",
    "Base",
    "BlacklistStatus",
    "BulkItem",
    "BulkJob",
    "BulkSelection",
    "Customer",
    "CustomerAddress",
    "DateStamp",
    "FraudCheck",
    "HandlingStatus",
    "ItemState",
    "JobState",
    "LineStatus",
    "LinkResult",
    "MallKind",
    "MallOrderState",
    "MallSyncFailure",
    "Notification",
    "NumberCounter",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OrderStatusCount",
    "PaymentKind",
    "PaymentMethod",
    "PaymentStatus",
    "Role",
    "SearchPreset",
    "SelectionSource",
    "Shipment",
    "ShipmentLine",
    "Shop",
    "ShopSync",
    "Sku",
    "SkuMapping",
    "StatusHistory",
    "Stock",
    "StockUpload",
    "SyncTarget",
    "Tag",
    "TargetState",
    "User",
    "bulk_selection_orders",
    "order_tags",
]
