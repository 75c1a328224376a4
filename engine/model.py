"""``Model``: a directed acyclic graph of named layers, with summary, training step and ``.npz``
save/load (:mod:`engine.persist`). ``Model`` is the same class: a chain is the graph in
which every layer reads the one before it.

Layers are kept in topological order and ``inputs[i]`` lists the nodes layer ``i`` reads:
layer indices, ``-1`` for the network input. The last layer is the output. Forward runs the
layers in order; backward runs them in reverse, adding up the gradients that reach a node from
each layer reading it (an output that fans out, like the input of a residual block).

``shapes[0]`` is the network input's shape and ``shapes[i + 1]`` layer ``i``'s output shape
(per example, no batch axis); :meth:`Model.input_shapes` gives the shapes a layer reads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine import fusion, graph, parallel, persist
from engine.layers import Layer, LogSoftmax, Softmax
from engine.memory import keep_freed_memory
from engine.ops.activation import softmax, softmax_cross_entropy

FORMAT = persist.FORMAT
ARCH_KEY = persist.ARCH_KEY


class Model:
    """Layers reading ``inputs`` (default: a chain), applied to inputs of ``input_shape``.

    ``classes`` names the outputs of the last layer. ``meta`` is free-form JSON (dataset, test
    accuracy, how it was trained) that travels with the weights.
    """

    def __init__(
        self,
        layers: list[Layer],
        input_shape: tuple[int, ...] = (1, 28, 28),
        classes: list[str] | None = None,
        name: str = "model",
        meta: dict | None = None,
        inputs: list[list[int | str]] | None = None,
    ):
        if not layers:
            raise ValueError("a model needs at least one layer")
        names = [layer.name for layer in layers]
        graph.check_names(names)
        self.layers = layers
        self.input_shape = tuple(int(v) for v in input_shape)
        self.name = name
        self.meta = dict(meta or {})
        index = {n: i for i, n in enumerate(names)}
        refs = inputs if inputs is not None else [None] * len(layers)
        if len(refs) != len(layers):
            raise ValueError(f"{len(refs)} input lists for {len(layers)} layers")
        self.inputs = [
            graph.resolve_inputs(i, r, index, layer.name)
            for i, (layer, r) in enumerate(zip(layers, refs, strict=True))
        ]
        self.shapes = self._infer_shapes()
        last_use = {j: max(c) for j, c in graph.consumers(self.inputs).items() if j >= 0}
        self._free_after = [[j for j, k in last_use.items() if k == i] for i in range(len(layers))]
        self._relu_below = fusion.relu_max_pairs(layers, self.inputs)  # {max-pool: its ReLU}
        self._conv_chains = fusion.conv_chains(layers, self.inputs)  # {conv: [bn, relu]}
        self._prepared = fusion.PreparedConvs()  # their folded weights and epilogues
        n_out = int(np.prod(self.shapes[-1]))
        self.classes = list(classes) if classes is not None else [str(i) for i in range(n_out)]
        if len(self.classes) != n_out:
            raise ValueError(f"{len(self.classes)} class names for {n_out} outputs")

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_spec(
        cls,
        specs: list[dict],
        input_shape=(1, 28, 28),
        seed: int | None = 0,
        before=None,
        **kwargs,
    ) -> Model:
        """Build from layer specs ``{"type", "name"?, "config"?, "inputs"?}`` (see
        :mod:`engine.graph`).

        ``in_channels`` / ``in_features`` / ``num_features`` may be left out: they are inferred
        from the shape flowing into the layer. Unnamed layers are named ``conv1, relu1, ...``.
        ``before(i, spec, in_shapes)`` may refuse a spec before its layer is allocated; a bad
        spec is a :class:`engine.graph.LayerError` (a ValueError) naming the layer.
        """
        layers, inputs = graph.build(specs, input_shape, seed, before)
        return cls(layers, input_shape, inputs=inputs, **kwargs)

    def _infer_shapes(self) -> list[tuple[int, ...]]:
        shapes = [self.input_shape]
        for i, layer in enumerate(self.layers):
            try:
                shapes.append(graph.output_shape(layer, [shapes[j + 1] for j in self.inputs[i]]))
            except ValueError as e:
                raise ValueError(f"layer {i} ({layer.name}): {e}") from None
        return shapes

    def input_shapes(self, i: int) -> list[tuple[int, ...]]:
        """The shapes layer ``i`` reads, one per input."""
        return [self.shapes[j + 1] for j in self.inputs[i]]

    def layer_inputs(self, x: np.ndarray, i: int) -> list[np.ndarray]:
        """The arrays layer ``i`` reads for network input ``x: (N, *input_shape)``."""
        outputs = self.forward(x, return_all=True, stop=i) if i else []
        return [x if j < 0 else outputs[j] for j in self.inputs[i]]

    @property
    def is_chain(self) -> bool:
        return graph.is_chain(self.inputs)

    # -- running -----------------------------------------------------------------------------

    def forward(
        self,
        x: np.ndarray,
        train: bool = False,
        return_all: bool = False,
        stop: int | None = None,
        backprop: bool = False,
    ):
        """Run the layers. x: (N, *input_shape) → the output of layer ``stop - 1`` (default:
        the last), or with ``return_all`` every layer's output, in layer order, in a list.

        ``stop`` runs only layers ``[0, stop)``. ``train`` is training mode (batch statistics,
        dropout) and keeps caches for :meth:`backward`; ``backprop`` keeps them in evaluation
        mode. Without ``return_all`` an output is dropped once every layer reading it has run,
        and (in inference) a convolution's batch norm and ReLU run in its blocks
        (:mod:`engine.fusion`; the same numbers).
        """
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"input must be (N, *{self.input_shape}), got {x.shape}")
        keep_freed_memory()  # a forward frees what the next allocates too (engine.memory)
        n = len(self.layers) if stop is None else stop
        outputs: list[np.ndarray | None] = [None] * n
        chains = {} if train or backprop or return_all else self._conv_chains
        fused: set[int] = set()  # layers whose output a convolution's epilogue gave
        for i, (layer, ins) in enumerate(zip(self.layers[:n], self.inputs, strict=False)):
            chain = [k for k in chains.get(i, ()) if k < n]
            if i in fused:
                out = outputs[i]
            elif chain:
                out = self._conv_with_epilogue(i, x if ins[0] < 0 else outputs[ins[0]], chain)
                for k in chain:
                    outputs[k] = out
                fused.update(chain)
            elif len(ins) == 1:
                j = ins[0]
                out = layer.forward(x if j < 0 else outputs[j], train=train, backprop=backprop)
            else:
                args = [x if j < 0 else outputs[j] for j in ins]
                out = layer.forward(*args, train=train, backprop=backprop)
            outputs[i] = out
            if not return_all:
                for j in self._free_after[i]:
                    if j != n - 1:
                        outputs[j] = None
        return outputs if return_all else outputs[n - 1]

    def _conv_with_epilogue(self, i: int, x_in: np.ndarray, chain: list[int]) -> np.ndarray:
        """Layer ``i`` (a convolution) with the layers of ``chain`` as its epilogue."""
        w, b, epilogue = self._prepared.get(self.layers, i, chain, x_in)
        return self.layers[i].forward(x_in, epilogue=epilogue, weights=(w, b))

    def backward(
        self,
        dout: np.ndarray,
        stop: int | None = None,
        start: int = 0,
        input_grad: bool = False,
        fuse: bool = True,
    ) -> np.ndarray | None:
        """Back-propagate ``dout`` (gradient of the output of layer ``stop - 1``) through layers
        ``[start, stop)``, filling their grads (after a ``forward(train=True)`` or
        ``forward(backprop=True)``). Gradients reaching a node from several layers add up.

        With ``input_grad`` it returns the gradient of the node just before ``start``: ``dL/dx``
        for the network input when ``start=0`` (saliency), or the output of layer
        ``start - 1`` (Grad-CAM's ``dL/dA``), shaped like it. Gradients of nodes before that
        are not computed. A layer no gradient reaches gets zero grads.

        ``fuse`` lets a max-pool apply the ReLU below it too (:mod:`engine.fusion`); the
        result is the same as without.
        """
        n = len(self.layers) if stop is None else stop
        target = start - 1
        pending: dict[int, np.ndarray] = {n - 1: dout}
        applied: set[int] = set()  # ReLUs whose backward a max-pool above already applied
        for i in range(n - 1, start - 1, -1):
            layer, d = self.layers[i], pending.pop(i, None)
            if d is None:  # not upstream of the output: its parameters do not matter
                layer.grads = {k: np.zeros_like(p) for k, p in layer.params.items()}
                layer.cache = None
                continue
            wanted = [j >= start or (input_grad and j == target) for j in self.inputs[i]]
            relu = self._relu_below.get(i, -1)
            if fuse and relu >= start and (masked := fusion.mask_for_relu(layer, d)) is not None:
                d = masked
                applied.add(relu)
            if i in applied:
                layer.cache = None
                dxs = d
            else:
                dxs = layer.backward(d, need_dx=any(wanted))
            if len(self.inputs[i]) == 1 and not isinstance(dxs, list):
                dxs = [dxs]
            for j, dx, w in zip(self.inputs[i], dxs, wanted, strict=True):
                if w and dx is not None:
                    pending[j] = pending[j] + dx if j in pending else dx
        if not input_grad:
            return None
        if target in pending:
            return pending[target]
        shape = self.input_shape if target < 0 else self.shapes[target + 1]
        return np.zeros((len(dout), *shape), dtype=dout.dtype)

    @property
    def ends_in_softmax(self) -> bool:
        return isinstance(self.layers[-1], Softmax)

    @property
    def logits_stop(self) -> int:
        """Number of layers up to the logits: all of them, or up to the one a final softmax
        (or log-softmax) reads."""
        if isinstance(self.layers[-1], (Softmax, LogSoftmax)) and self.inputs[-1][0] >= 0:
            return self.inputs[-1][0] + 1
        return len(self.layers)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """x: (N, *input_shape) → class probabilities (N, K), with or without a final softmax."""
        return self.probabilities(self.forward(x))

    def probabilities(self, out: np.ndarray) -> np.ndarray:
        """The last layer's output (N, K) as probabilities: as is after a softmax, else softmax
        of it (of log-probabilities, that is their exp)."""
        return out if self.ends_in_softmax else softmax(out)

    def train_step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        workers: int | None = None,
        label_smoothing: float = 0.0,
    ) -> tuple[float, np.ndarray]:
        """Forward to the logits (before any final softmax), loss, backward; grads are filled.

        x: (N, *input_shape), y: (N,) → (mean cross-entropy, logits (N, K)); the loss uses
        ``label_smoothing`` (see :func:`softmax_cross_entropy`).
        ``workers`` > 1 splits the batch over that many threads, one BLAS thread each
        (:mod:`engine.parallel`); the default is as many as BLAS was given, for models whose
        examples train independently, else 1.
        """
        keep_freed_memory()  # each step frees what the next allocates: keep it mapped
        if workers is None:
            workers = parallel.workers_for(self, len(x))
        if workers > 1:
            return parallel.split_train_step(self, x, y, workers, label_smoothing)
        stop = self.logits_stop
        logits = self.forward(x, train=True, stop=stop)
        loss, dlogits = softmax_cross_entropy(logits, y, label_smoothing)
        self.backward(dlogits, stop=stop)
        for layer in self.layers:
            layer.cache = None  # free the im2col buffers between steps
        return loss, logits

    # -- parameters --------------------------------------------------------------------------

    def params(self) -> dict[str, np.ndarray]:
        """``{"conv1.weight": array, ...}`` — the live trainable arrays (optimisers update them
        in place)."""
        return {f"{ly.name}.{k}": p for ly in self.layers for k, p in ly.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{ly.name}.{k}": g for ly in self.layers for k, g in ly.grads.items()}

    def buffers(self) -> dict[str, np.ndarray]:
        """``{"bn1.running_mean": array, ...}``: saved with the parameters, never trained."""
        return {f"{ly.name}.{k}": b for ly in self.layers for k, b in ly.buffers.items()}

    def state(self) -> dict[str, np.ndarray]:
        """Parameters and buffers: everything :meth:`save` writes."""
        return {**self.params(), **self.buffers()}

    def set_state(self, arrays: dict[str, np.ndarray], source: str = "weights") -> None:
        """Copy ``arrays`` into the parameters and buffers; every name must be present with
        the right shape, a floating dtype and finite values (ValueError naming it otherwise)."""
        persist.copy_state(self.state(), arrays, source)

    @property
    def num_params(self) -> int:
        return sum(layer.num_params for layer in self.layers)

    def layer_info(self) -> list[dict]:
        """One dict per layer: index, name, type, config, inputs (indices, -1 = the network
        input), input/output shapes, parameter count."""
        return [
            {
                "index": i,
                "name": layer.name,
                "type": layer.type,
                "config": layer.config(),
                "inputs": list(self.inputs[i]),
                "input_shape": list(self.shapes[self.inputs[i][0] + 1]),
                "input_shapes": [list(s) for s in self.input_shapes(i)],
                "output_shape": list(self.shapes[i + 1]),
                "num_params": layer.num_params,
            }
            for i, layer in enumerate(self.layers)
        ]

    def summary(self) -> str:
        """A Keras-style table: layer (type), output shape, parameters, and (for a graph) what
        each layer reads; then the total."""
        names = ["input", *(ly.name for ly in self.layers)]
        rows = [("Layer (type)", "Output shape", "Params", "Inputs")]
        for info in self.layer_info():
            shape = "(" + ", ".join(str(d) for d in info["output_shape"]) + ")"
            ins = ", ".join(names[j + 1] for j in info["inputs"])
            rows.append((f"{info['name']} ({info['type']})", shape, f"{info['num_params']:,}", ins))
        cols = 3 if self.is_chain else 4
        widths = [max(len(r[c]) for r in rows) for c in range(cols)]
        line = "-" * (sum(widths) + 2 * (cols - 1))

        def fmt(r):
            cells = [f"{r[0]:<{widths[0]}}", f"{r[1]:<{widths[1]}}", f"{r[2]:>{widths[2]}}"]
            if cols == 4:
                cells.append(f"{r[3]:<{widths[3]}}")
            return "  ".join(cells).rstrip()

        body = [fmt(rows[0]), line, *(fmt(r) for r in rows[1:]), line]
        body.append(f"Total params: {self.num_params:,}   input: {self.input_shape}")
        return "\n".join(body)

    def specs(self) -> list[dict]:
        """Each layer's spec; ``inputs`` (as names) only where it is not the layer before."""
        names = [graph.INPUT, *(ly.name for ly in self.layers)]
        out = []
        for i, layer in enumerate(self.layers):
            spec = layer.spec()
            if self.inputs[i] != [i - 1]:
                spec["inputs"] = [names[j + 1] for j in self.inputs[i]]
            out.append(spec)
        return out

    def architecture(self) -> dict:
        return {
            "format": FORMAT,
            "name": self.name,
            "input_shape": list(self.input_shape),
            "classes": self.classes,
            "layers": self.specs(),
            "meta": self.meta,
        }

    def copy_for_backprop(self) -> Model:
        """A copy sharing the weight and buffer arrays but with its own caches and gradients
        (concurrent explanations of one served model)."""
        return persist.shallow_copy(self)

    # -- persistence -------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write an ``.npz`` (parameters, buffers, architecture JSON) atomically."""
        persist.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """Load a file written by :meth:`save`; ``ValueError`` says what is wrong with a bad one."""
        return cls.from_arrays(persist.read_arrays(path), source=Path(path).name)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], source: str = "weights") -> Model:
        """Rebuild a model from the arrays of a saved file, checking every name and shape."""
        arch = persist.architecture_of(arrays, source)
        try:
            model = cls.from_spec(
                arch.get("layers"),
                input_shape=tuple(arch.get("input_shape") or ()),
                classes=arch.get("classes"),
                name=str(arch.get("name", "model")),
                meta=arch.get("meta") if isinstance(arch.get("meta"), dict) else {},
            )
        except (TypeError, ValueError) as e:
            raise ValueError(f"{source}: bad architecture: {e}") from None
        model.set_state(arrays, source)
        return model
