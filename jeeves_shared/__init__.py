"""The one library every Jeeves service may import.

Settings base, message schemas, exchange and queue names, the message bus, logging.
Services never import each other; what they share lives here.
"""
