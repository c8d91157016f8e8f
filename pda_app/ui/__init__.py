"""Kivy screens of the PDA app (the only part of pda_app that imports Kivy)."""
