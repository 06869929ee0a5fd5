"""Figures of the book: functions that return plotly figures (and reader-worded tables), one module per chapter;
`common` holds the colours, labels and the finishing touches every figure shares.
"""
