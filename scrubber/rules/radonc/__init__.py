"""scrubber/rules/radonc"""
