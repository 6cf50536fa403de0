import type { ModelConfig } from "../config/schema.js";

/** Provider model ids of well-known vision models (OpenAI, Anthropic, Google, Mistral, open VLMs). */
const VISION_IDS = /(^|\/)(gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|o1(?!-mini)|o3(?!-mini)|o4|chatgpt-4o|claude-|gemini-|pixtral|llava|llama-?3\.2-.*vision|llama-4)|vision|-vl\b|-vl-/i;

/**
 * True when the model takes images as input: `models.<name>.input` includes `image` when set; otherwise guessed
 * from the provider's model id ({@link VISION_IDS}: gpt-4o*, gpt-4.1*, gpt-5*, o3*, o4* (not the -mini reasoning models), claude-*, gemini-*,
 * pixtral*, llava*, *-vl*, *vision*).
 */
export function acceptsImages(model: Pick<ModelConfig, "input" | "model">): boolean {
  return model.input ? model.input.includes("image") : VISION_IDS.test(model.model);
}

/** Default media budget of a model when `mediaTokens` is unset: a quarter of its context window. */
export function mediaBudgetTokens(model: Pick<ModelConfig, "mediaTokens" | "contextTokens">): number {
  return model.mediaTokens ?? Math.floor(model.contextTokens / 4);
}

/**
 * Tokens an image of `width`×`height` pixels costs at OpenAI's high detail (85 base + 170 per 512-px tile after
 * scaling to fit 2048×2048 and the short side to 768; "Vision" guide, platform.openai.com): the provider figure
 * agentd budgets with. Other providers count in the same range (Anthropic: width×height/750).
 */
export function imageTokens(width: number, height: number): number {
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  w *= short;
  h *= short;
  return 85 + 170 * Math.ceil(w / 512) * Math.ceil(h / 512);
}
