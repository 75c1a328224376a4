import numpy as np

from engine.ops.activation import softmax_cross_entropy
from tests.engine.gradcheck import assert_close, numerical_gradient


def test_cross_entropy_value_and_gradient():
    rng = np.random.default_rng(0)
    logits, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    loss, dlogits = softmax_cross_entropy(logits, y)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert loss == np.float64(-np.log(p[np.arange(5), y]).mean()).item()
    num = numerical_gradient(lambda: softmax_cross_entropy(logits, y)[0], logits)
    assert_close("dlogits", dlogits, num, 1e-6, 1e-9)


def test_cross_entropy_is_stable():
    loss, d = softmax_cross_entropy(np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([1, 0]))
    assert np.isfinite(loss) and loss > 1e3 and np.isfinite(d).all()
