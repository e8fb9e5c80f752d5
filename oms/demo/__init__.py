"""Demo data: a realistic Japanese multi-mall shop, loaded fast enough for a million orders."""
