"""Moved to `core.excel`: audit and the KPI workbook write Excel too, and must not import
exports. Only for branches written before the move; import from `core.excel`."""

from core.excel import *  # noqa: F403
