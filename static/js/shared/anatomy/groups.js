// A conv layer's groups, from its config (the API's LayerInfo.config): how many input channels
// and filters each has, and which group a filter is in (filters f0 .. f0 + out - 1 read
// channels c0 .. c0 + in - 1 of group g, f0 = g·out, c0 = g·in — PyTorch's grouping).

export function groupsOf(config) {
  const groups = config.groups ?? 1;
  return { groups, perGroup: { in: config.in_channels / groups, out: config.out_channels / groups } };
}

export function groupOf(config, filter) {
  return Math.floor(filter / groupsOf(config).perGroup.out);
}
