"""The data sets the pages show: the test sets (read once per process), the gallery of real test
images, and whole-test-set tables computed in the background.
"""
