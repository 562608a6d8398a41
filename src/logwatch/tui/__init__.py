"""The Textual dashboard: the only package of logwatch that imports textual or rich."""
