"""One source per input format, each turning decoded content into blocks."""
