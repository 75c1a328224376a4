"""Why the network said 7: attribution maps (saliency, Grad-CAM, occlusion, integrated gradients),
what each filter looks for (top activations, maximised inputs), a hand-made kernel on the drawing
(``/api/kernel``) and the colour page's 3-channel filters (``/api/color``).
"""
