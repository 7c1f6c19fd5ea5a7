"""Tests of the image-guidance rule pack and the decide step."""
