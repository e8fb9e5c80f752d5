"""Card payments (SCOPE P4, seeds 001 and 002): オーソリ, 再オーソリ, 売上, 取消 through the
card gateway, 状態のみ変更, and the automatic steps. Every gateway effect is a row of the
ledger (`payment_transactions`) written before the call under a stable idempotency key,
so a retry after any failure calls again with the same key (RELIABILITY B).

- `settings`: 決済設定 (the gateway's endpoint and key, the automatic steps);
- `rules`: which gateway serves an order and which actions its state allows;
- `ledger`: the three phases of one effect (intent, call, result) for one order;
- `step`: the payment job (one kind, one order or many) on the target runner;
- `manual`: 状態のみ変更;
- `automatic`: auto-authorize, capture on 出荷済, the 楽天カード poll, expiry flags and the
  recovery of effects left in doubt.
"""
