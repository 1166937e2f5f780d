"""Shared contracts of the LexTalent hub: message models, topic registry, read-model layout.

Services share only this package. Everything here is data and pure functions: no I/O.
"""
