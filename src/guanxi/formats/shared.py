# The formats of every language (see guanxi/formats/__init__.py).
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 1
# Amounts grouped by thousands (1,000,000.00) as Chinese accounts write them; only where a
# value asks for grouping (core display() of a Decimal), never ids or years.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
# ISO first: Django writes a date field's value with the first input format, and an
# <input type="date"> takes nothing but YYYY-MM-DD (with Django's Chinese "2026/11/23" the field
# showed empty, and an edit form saved the date away). The others are still read.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
]
