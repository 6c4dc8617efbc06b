"""A re-export of shapecontract's check under another name."""

from shapecontract import check as contract_check

__all__ = ["contract_check"]
