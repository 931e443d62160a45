"""The data layer: publishers' files in, canonical profiles out, and what is kept of them.

sources/    one adapter per publisher format, and the source registry
quality     the rules that drop or flag rows, each counted
summary     what a file holds (`mlpay data summary`)
recipe      a config's sources + quality rules -> the training rows (runtime only)
datadir     where the real data lives (MLPAY_DATA_DIR)
"""
