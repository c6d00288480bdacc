"""The compiler: resolve -> check -> lower to the Plan IR."""
