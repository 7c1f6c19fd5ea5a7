"""scrubber/outputs"""
