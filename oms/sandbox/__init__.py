"""Local stand-ins for the outside world (DESIGN.md "Integrations and sandboxes"): a
marketplace API that speaks like Amazon, Rakuten, Qoo10 and Yahoo, on loopback only."""
