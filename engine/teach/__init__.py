"""The source texts' remaining lessons, computed on real networks:

- ``backprop``: the gradient of every layer for one input and one label, and one SGD step;
- ``flatten``: the digit as its 784-vector, a fixed pixel permutation, and the dense net's
  permuted-weights twin;
- ``shift``: moving, scaling and rotating the input, and how far each layer's maps follow;
- ``square``: a hand-built network that finds lines, then corners, then a square.
"""
