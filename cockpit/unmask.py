"""Showing one resident's record in full: the privileged action behind 实有人口's button.

Every page shows only masked personal data. An account whose work is with residents
(Account.may_unmask) may open one record at a time, inside its jurisdiction, after giving a
reason; the record is decrypted from the ETL's sealed copy (warehouse/vault.py) with the vault key,
which lives outside the warehouse, and the audit log records who opened which record, when and
why *before* the clear values are returned. Opening is capped per account and hour, so the
action cannot be used to copy the register."""
from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

from cockpit.accounts import Account
from cockpit.audit import AuditLog, clean_text
from cockpit.db import Snapshot
from cockpit.queries import people
from cockpit.scope import Scope
from warehouse import vault

REASON_MIN_CHARS = 4          # letters or digits, once invisible characters are gone
REASON_MAX_CHARS = 200
FIELDS = {"name": "姓名", "id_number": "公民身份号码", "phone": "联系电话"}


class UnmaskRefused(Exception):
    """Why a record was not opened, in words for the person who asked."""


def clean_reason(reason) -> str:
    """The reason as it is stored: invisible characters gone, whitespace collapsed, ID and
    mobile numbers masked (cockpit.audit.clean_text)."""
    return clean_text(reason, REASON_MAX_CHARS)


def real_chars(text: str) -> int:
    """Letters and digits: what a reason must have enough of (spaces, punctuation, symbols and
    zero-width characters do not say why)."""
    return sum(1 for c in text if unicodedata.category(c)[0] in "LN")


def unmask(wh: Snapshot, account: Account, scope: Scope, person_id, reason, *, key_file: Path,
           per_hour: int, audit_log: AuditLog, address: str) -> dict[str, str]:
    """The clear name, ID number and phone of one person, audited; raises UnmaskRefused. The
    cap is counted and the opening recorded in one transaction (AuditLog.record_capped): a
    burst of parallel requests opens no more than the cap."""
    if not account.may_unmask:
        raise UnmaskRefused("您的角色无权查看完整个人信息")
    reason = clean_reason(reason)
    if real_chars(reason) < REASON_MIN_CHARS:
        raise UnmaskRefused(f"请填写查看理由（至少 {REASON_MIN_CHARS} 个字），理由将记入审计日志")
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    capped = UnmaskRefused(f"一小时内查看完整信息已达 {per_hour} 次上限，请稍后再试")
    if audit_log.count_since(account.account_id, "unmask", since) >= per_hour:   # no decryption then
        audit_log.record(account.account_id, address, "throttled", "/people", "查看完整信息：已达每小时上限")
        raise capped
    row = people.sealed(wh, scope, person_id)
    if row is None:
        audit_log.record(account.account_id, address, "denied", "/people",
                         f"查看完整信息：所选记录不在辖区 {scope.code} 内", note=f"persons/{str(person_id)[:40]}")
        raise UnmaskRefused("未找到该人员，或该人员不在您的辖区内")
    try:
        clear = vault.open_record(vault.load(key_file), "persons", row["person_id"], row["bucket"],
                                  row["sealed"])
    except vault.VaultError as exc:
        raise UnmaskRefused("无法解密：请联系管理员检查个人信息密钥（vault_key_file）配置") from exc
    if not audit_log.record_capped(account.account_id, address, "unmask", per_hour, since, "/people",
                                   f"persons/{row['person_id']} · {row['name_masked']} · 网格 {row['grid_code']} · 理由：",
                                   note=reason):
        audit_log.record(account.account_id, address, "throttled", "/people", "查看完整信息：已达每小时上限")
        raise capped
    return {label: clear.get(field) or "" for field, label in FIELDS.items()}
