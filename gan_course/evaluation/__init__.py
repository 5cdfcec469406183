"""Evaluation: the digit classifier and the sample-quality metrics built on its features."""
