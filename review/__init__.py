"""The staff review app: conversations from Rasa's tracker store, flagged, filtered, charted and exported."""
