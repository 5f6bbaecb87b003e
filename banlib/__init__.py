"""banlib: the code behind the BAN replication book (arXiv 2502.15503).

Imports flow one way: config -> events -> dataset -> audio -> features -> encoding -> roi
-> models -> analyses -> figures -> book runner / cli.
"""
__version__ = "0.1.0"

from .data.events import read_events  # noqa: E402

__all__ = ["read_events", "__version__"]
