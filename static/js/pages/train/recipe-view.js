// A built-in architecture's recipe: how the installed model of the same name was trained (its
// card's settings, from GET /api/train/options), offered as one button that fills the form.

import { num, percent } from "../../shared/format.js";

export class RecipeView {
  // box: [data-testid=recipe]; apply(recipe): fill the form with recipe.settings.
  constructor(box, { apply }) {
    this.box = box;
    this.button = box.querySelector("#use-recipe");
    this.note = box.querySelector("#recipe-note");
    this.command = box.querySelector("#recipe-command");
    this.recipe = null;
    this.button.addEventListener("click", () => this.recipe && apply(this.recipe));
  }

  // The recipe of the architecture chosen, or null (nothing to offer).
  show(recipe) {
    this.recipe = recipe ?? null;
    this.box.hidden = !recipe;
    if (!recipe) return;
    const s = recipe.settings;
    this.button.textContent = `Use ${recipe.model_id}'s recipe`;
    const scored = recipe.test_accuracy == null ? "" : ` (${percent(recipe.test_accuracy)} on its test set)`;
    const continued = /--init\b/.test(recipe.command ?? "") ? " It continued from earlier weights (--init): from scratch, train longer." : "";
    this.note.textContent = `How ${recipe.name} was trained${scored}: ${summary(s)}.${continued}`;
    this.command.textContent = recipe.command ?? "";
    this.command.closest("details").hidden = !recipe.command;
  }
}

function summary(s) {
  const parts = [`${s.epochs} epochs, batch ${s.batch_size}`, s.optimiser + (s.nesterov ? " with Nesterov momentum" : "")];
  parts.push(`lr ${num(s.lr, 2)} ${s.lr_schedule === "onecycle" ? `one-cycle (warm-up ${s.warmup})` : s.lr_schedule}`);
  if (s.weight_decay) parts.push(`weight decay ${s.weight_decay}`);
  if (s.label_smoothing) parts.push(`label smoothing ${s.label_smoothing}`);
  if (s.flip) parts.push("flips");
  if (s.crop) parts.push(`crops (padding ${s.crop})`);
  return parts.join(", ");
}
