"""All models, imported here so Alembic and the app see one complete metadata."""

from oms.models.base import Base
from oms.models.blacklist import BlacklistEntry
from oms.models.bulk import (
    BulkJob,
    BulkSelection,
    SelectionSource,
    bulk_selection_orders,
)
from oms.models.cards import CustomerCard
from oms.models.carriers import Carrier, CarrierFormat, CarrierService, CarrierTimeSlot
from oms.models.catalog import Sku, SkuMapping, Stock
from oms.models.conversions import ConversionNotice
from oms.models.custom_fields import CustomField, CustomFieldCategory, CustomFieldValue, FieldType
from oms.models.customers import AddressKind, BlacklistStatus, Customer, CustomerAddress
from oms.models.inquiries import Inquiry, InquiryCategory, InquiryResult
from oms.models.mail import MailEvent, MailState, MailTemplate, SentMail, SystemMail
from oms.models.marketplace import (
    MallOrderState,
    MallSyncFailure,
    NumberCounter,
    ShopSync,
    StockUpload,
)
from oms.models.memos import OrderMemo
from oms.models.notifications import JobState, JobTarget, Notification, TargetState
from oms.models.orders import (
    TABS,
    FraudCheck,
    LineStatus,
    LinkResult,
    Order,
    OrderAllocation,
    OrderLine,
    OrderLink,
    OrderStatus,
    OrderStatusCount,
    SearchPreset,
    StatusHistory,
    order_tags,
)
from oms.models.payments import (
    CardPlan,
    DeferredResult,
    DeferredVariant,
    Gateway,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    PaymentTransaction,
    ShipReportState,
    TransactionKind,
    TransactionState,
)
from oms.models.recipients import RecipientChange
from oms.models.settings import AttentionReason, DateStamp, HandlingStatus, MallKind, Shop, Tag
from oms.models.shipping import (
    ReportChannel,
    ReportState,
    Shipment,
    ShipmentImport,
    ShipmentLine,
    ShippingExport,
    TrackingReport,
)
from oms.models.users import AuditEvent, Role, User
from oms.models.workflow import (
    AccountType,
    AllocationState,
    AppSetting,
    BankAccount,
    StockAllocation,
)

__all__ = [
    "TABS",
    "AccountType",
    "AddressKind",
    "AllocationState",
    "AppSetting",
    "AttentionReason",
    "AuditEvent",
    "BankAccount",
    "Base",
    "BlacklistEntry",
    "BlacklistStatus",
    "BulkJob",
    "BulkSelection",
    "CardPlan",
    "Carrier",
    "CarrierFormat",
    "CarrierService",
    "CarrierTimeSlot",
    "ConversionNotice",
    "CustomField",
    "CustomFieldCategory",
    "CustomFieldValue",
    "Customer",
    "CustomerAddress",
    "CustomerCard",
    "DateStamp",
    "DeferredResult",
    "DeferredVariant",
    "FieldType",
    "FraudCheck",
    "Gateway",
    "HandlingStatus",
    "Inquiry",
    "InquiryCategory",
    "InquiryResult",
    "JobState",
    "JobTarget",
    "LineStatus",
    "LinkResult",
    "MailEvent",
    "MailState",
    "MailTemplate",
    "MallKind",
    "MallOrderState",
    "MallSyncFailure",
    "Notification",
    "NumberCounter",
    "Order",
    "OrderAllocation",
    "OrderLine",
    "OrderLink",
    "OrderMemo",
    "OrderStatus",
    "OrderStatusCount",
    "PaymentKind",
    "PaymentMethod",
    "PaymentStatus",
    "PaymentTransaction",
    "RecipientChange",
    "ReportChannel",
    "ReportState",
    "Role",
    "SearchPreset",
    "SelectionSource",
    "SentMail",
    "ShipReportState",
    "Shipment",
    "ShipmentImport",
    "ShipmentLine",
    "ShippingExport",
    "Shop",
    "ShopSync",
    "Sku",
    "SkuMapping",
    "StatusHistory",
    "Stock",
    "StockAllocation",
    "StockUpload",
    "SystemMail",
    "Tag",
    "TargetState",
    "TrackingReport",
    "TransactionKind",
    "TransactionState",
    "User",
    "bulk_selection_orders",
    "order_tags",
]
