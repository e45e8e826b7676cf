"""Pure reading of mail: raw bytes in, frozen values out. No database, no network."""
