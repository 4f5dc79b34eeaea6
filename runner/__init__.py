"""optout-run: switch off AI training and data sharing on your accounts, and prove it."""
