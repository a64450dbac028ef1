"""Spreadsheets in and out of every register: validated all-or-nothing imports, round-trip exports, templates."""
