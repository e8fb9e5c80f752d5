"""Operator memos and customer consultations (seed 003)."""

import pytest

from oms.models import InquiryCategory, InquiryResult
from oms.services import inquiries, memos
from oms.services.actor import Actor
from oms.services.inquiries import InquiryError, InquiryLocked
from oms.services.memos import MemoError

pytestmark = pytest.mark.usefixtures("in_english")


def actor_of(user, ip="192.0.2.20"):
    return Actor(user.id, user.username, ip)


def test_memos_record_author_ip_and_time_pinned_first(session, factory, users):
    order = factory.order()
    operator = users["operator"]
    old = memos.add(session, order, actor_of(operator), "  一つ目  ")
    pinned = memos.add(session, order, actor_of(operator), "固定", pinned=True, important=True)
    new = memos.add(session, order, actor_of(operator), "三つ目")
    assert (old.body, old.author_name, old.author_ip) == ("一つ目", "operator", "192.0.2.20")
    assert old.created_at is not None
    assert memos.for_order(session, order) == [pinned, new, old]
    with pytest.raises(MemoError):
        memos.add(session, order, actor_of(operator), "   ")


def test_memo_permissions(session, factory, users, make_user):
    order = factory.order()
    operator, admin = users["operator"], users["admin"]
    colleague = make_user("operator2")
    memo = memos.add(session, order, actor_of(operator), "自分のメモ")
    system = memos.add_system(session, order, "自動取込で作成")
    assert memos.may_change(memo, operator) and memos.may_change(memo, admin)
    assert not memos.may_change(memo, colleague)
    assert not any(memos.may_change(system, u) for u in (operator, admin, colleague))

    with pytest.raises(MemoError, match="author"):
        memos.edit(session, memo, colleague, actor_of(colleague), "書き換え", important=False,
                   pinned=False)
    with pytest.raises(MemoError, match="system"):
        memos.delete(session, system, admin, actor_of(admin))
    memos.edit(session, memo, admin, actor_of(admin), "管理者が修正", important=True,
               pinned=False)
    assert memo.body == "管理者が修正" and memo.important and memo.updated_at
    memos.delete(session, memo, operator, actor_of(operator))
    assert memos.for_order(session, order) == [system]


def test_memo_copied_as_inquiry_reply_is_independent(session, factory, users):
    order = factory.order(buyer_name="佐藤 花子")
    operator = users["operator"]
    memo = memos.add(session, order, actor_of(operator), "配達日の変更を承りました",
                     also_inquiry=True)
    [copy] = inquiries.for_order(session, order)
    assert (copy.reply, copy.customer_name, copy.created_by_name) == (
        "配達日の変更を承りました", "佐藤 花子", "operator")
    memos.edit(session, memo, operator, actor_of(operator), "変更後", important=False,
               pinned=False)
    session.refresh(copy)
    assert copy.reply == "配達日の変更を承りました"  # edits do not propagate (seed 003)


def test_inquiry_is_editable_until_completed(session, factory, users):
    order = factory.order()
    actor = actor_of(users["operator"])
    with pytest.raises(InquiryError) as refused:
        inquiries.register(session, order, actor, category=InquiryCategory.delivery,
                           content=" ", reply=None, result=InquiryResult.open)
    assert "content" in refused.value.errors
    inquiry = inquiries.register(session, order, actor, category=InquiryCategory.delivery,
                                 content="届かない", reply=None, result=InquiryResult.open)
    inquiries.update(session, inquiry, actor, category=InquiryCategory.delivery,
                     content="届かない", reply="再送しました", result=InquiryResult.completed)
    assert inquiry.locked and inquiry.completed_at is not None
    with pytest.raises(InquiryLocked):
        inquiries.update(session, inquiry, actor, category=InquiryCategory.other,
                         content="変更", reply=None, result=InquiryResult.open)
    assert (inquiry.content, inquiry.result) == ("届かない", InquiryResult.completed)
