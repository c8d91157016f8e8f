"""Tests of the PDA app: flows, offline queue, hub client, the Kivy app under Xvfb."""
