"""Turn files of news articles into cleaned ``Article`` records: read, clean, extract metadata."""
