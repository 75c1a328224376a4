"""Why did the network say 7? Attributions and feature visualisation, in plain NumPy.

- :mod:`.gradients` — saliency (``|d logit_c / d x|``) and integrated gradients;
- :mod:`.gradcam` — Grad-CAM for any conv layer or a spatial successor (ReLU, pooling);
- :mod:`.occlusion` — the score drop when a sliding patch hides part of the input;
- :mod:`.geometry` — receptive fields: which input pixels an activation sees;
- :mod:`.top_activations` — the test digits that excite each filter most, cached on disk;
- :mod:`.maximise` — the input a filter likes best, by regularised gradient ascent.

Every method explains the **pre-softmax logit** of a class (the "score"): the logit of class
``c`` depends on the input only through the network, while its probability also depends on
every other class's logit, so its gradient mixes "more 7" with "less 1". Occlusion can report
the probability drop instead, because that is what a person reads.
"""

from engine.explain.common import class_scores, logits_stop
from engine.explain.gradcam import default_gradcam_layer, gradcam, upsample
from engine.explain.gradients import input_gradient, integrated_gradients, saliency
from engine.explain.maximise import maximise_activation
from engine.explain.occlusion import occlusion
from engine.explain.top_activations import TopActivations, top_activations

__all__ = [
    "TopActivations",
    "class_scores",
    "default_gradcam_layer",
    "gradcam",
    "input_gradient",
    "integrated_gradients",
    "logits_stop",
    "maximise_activation",
    "occlusion",
    "saliency",
    "top_activations",
    "upsample",
]
