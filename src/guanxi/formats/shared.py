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
