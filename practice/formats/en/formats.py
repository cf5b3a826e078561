"""US dates for every page (see practice/formats/__init__.py). Only what people read is
set here; input formats stay Django's, so <input type="date"> keeps its ISO value."""

DATE_FORMAT = "m/d/Y"
SHORT_DATE_FORMAT = "m/d/Y"
DATETIME_FORMAT = "m/d/Y H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
MONTH_DAY_FORMAT = "m/d"
