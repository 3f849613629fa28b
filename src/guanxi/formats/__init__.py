"""Date and time formats per language (settings.FORMAT_MODULE_PATH).

Dates and times are written the same way in Chinese and English: 2026-11-23 and 14:05 (24-hour),
the way the company's documents and spreadsheets write them, and the way the pages already write
table columns (Django's defaults were 2026年11月23日 and 11/23/2026 next to them). The week
starts on Monday in both, as the Chinese working calendar does. Input formats are Django's."""
