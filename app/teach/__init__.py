"""The teaching views: backpropagation on one drawing, the flattened digit, translation, the
permutation test and lines combined into a square.
"""
