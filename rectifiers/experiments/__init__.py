"""Each chapter's experiments and analyses: the grids it computes or trains (through `rectifiers.engine`) and the
statistics it draws from stored records. Figures live in `rectifiers.figures`, explorers in `rectifiers.widgets`.
"""
