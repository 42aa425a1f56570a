"""The county's views of its data for the bureau: each school's standing and the counts, the
ledger's totals and trends, and the charts that draw them. Plain functions: no Flask, no SQL."""
