// What kind of input a model reads: a colour model (channels "rgb" or "bgr" in its input
// convention, api.md "Any image") gets photos; a grey one, digits. Pages and sections that
// follow the explorer's model ask here.

export function isColourModel(model) {
  const channels = model?.input?.channels;
  return channels ? channels !== "gray" : model?.input_shape?.[0] === 3;
}
