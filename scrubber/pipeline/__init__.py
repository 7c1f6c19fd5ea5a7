"""scrubber/pipeline"""
