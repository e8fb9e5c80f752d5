"""設定 > 受注管理設定 and 銀行振込の口座設定 in a real browser (JavaScript on and off)."""

from playwright.sync_api import expect

from oms.models import AccountType, BankAccount
from oms.services import app_settings


def test_admin_saves_the_workflow_settings_and_sees_the_bank_accounts(ui, users, session):
    session.add(BankAccount(bank_name="三井住友銀行", branch_name="渋谷支店",
                            account_type=AccountType.ordinary, account_number="1234567",
                            holder_kana="カ）サンプルショウジ", position=1))
    session.commit()
    page = ui.page
    ui.login("admin")

    page.goto("/settings")
    page.locator('a[href="/settings/workflow/"]').click()
    expect(page.locator("input[name=allocation_mode][value=auto]")).to_be_checked()
    page.locator("input[name=allocation_mode][value=manual]").check()
    page.locator("input[name=minutes_cod]").fill("20")
    page.locator("input[name=confirm_own]").uncheck()
    page.locator('[data-action="save-workflow-settings"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("input[name=allocation_mode][value=manual]")).to_be_checked()
    expect(page.locator("input[name=minutes_cod]")).to_have_value("20")
    expect(page.locator("input[name=confirm_own]")).not_to_be_checked()
    ui.screenshot("workflow-settings")
    session.rollback()
    saved = app_settings.workflow(session)
    assert (saved.allocation_mode, saved.new_after_minutes["cod"],
            saved.require_confirm["own"]) == ("manual", 20, False)

    page.goto("/settings")
    page.locator('a[href="/settings/bank-accounts/"]').click()
    expect(page.locator('[data-account="1234567"][data-active="true"]')).to_be_visible()
    ui.screenshot("bank-accounts")
    ui.assert_clean()
