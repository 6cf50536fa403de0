import { z } from "zod";

/**
 * One known OpenAI-compatible provider: an id to use as the provider name under `providers`, a display name,
 * the API root to put in `baseUrl`, the environment variable its key usually lives in (`null`: no key needed),
 * whether it runs on this machine, an example model id, and where its docs are.
 */
export const KnownProvider = z.strictObject({
  id: z.string(),
  name: z.string(),
  baseUrl: z.string(),
  apiKeyEnv: z.string().nullable(),
  local: z.boolean(),
  exampleModel: z.string(),
  docsUrl: z.string(),
});
/** See {@link KnownProvider}. */
export type KnownProvider = z.infer<typeof KnownProvider>;

const cloud = (id: string, name: string, baseUrl: string, apiKeyEnv: string, exampleModel: string, docsUrl: string): KnownProvider =>
  ({ id, name, baseUrl, apiKeyEnv, local: false, exampleModel, docsUrl });
const local = (id: string, name: string, baseUrl: string, exampleModel: string, docsUrl: string, apiKeyEnv: string | null = null): KnownProvider =>
  ({ id, name, baseUrl, apiKeyEnv, local: true, exampleModel, docsUrl });

/**
 * Providers with an OpenAI-compatible Chat Completions API (`GET /api/models/providers`), from each provider's
 * documentation (linked per entry). A static table: base URLs rarely change, model ids do (the example is a hint).
 */
export const PROVIDER_CATALOG: readonly KnownProvider[] = [
  cloud("openai", "OpenAI", "https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini", "https://platform.openai.com/docs/api-reference"),
  cloud("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4o-mini", "https://openrouter.ai/docs/quickstart"),
  cloud("anthropic", "Anthropic (OpenAI SDK compatibility)", "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", "claude-sonnet-4-5", "https://docs.anthropic.com/en/api/openai-sdk"),
  cloud("gemini", "Google Gemini (OpenAI compatibility)", "https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY", "gemini-2.5-flash", "https://ai.google.dev/gemini-api/docs/openai"),
  cloud("groq", "Groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "llama-3.3-70b-versatile", "https://console.groq.com/docs/openai"),
  cloud("together", "Together AI", "https://api.together.xyz/v1", "TOGETHER_API_KEY", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "https://docs.together.ai/docs/openai-api-compatibility"),
  cloud("mistral", "Mistral AI", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "mistral-small-latest", "https://docs.mistral.ai/api/"),
  cloud("deepseek", "DeepSeek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "deepseek-chat", "https://api-docs.deepseek.com/"),
  cloud("fireworks", "Fireworks AI", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", "accounts/fireworks/models/llama-v3p1-8b-instruct", "https://docs.fireworks.ai/tools-sdks/openai-compatibility"),
  cloud("xai", "xAI", "https://api.x.ai/v1", "XAI_API_KEY", "grok-3-mini", "https://docs.x.ai/docs/api-reference"),
  cloud("cerebras", "Cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", "llama3.1-8b", "https://inference-docs.cerebras.ai/resources/openai"),
  cloud("deepinfra", "DeepInfra", "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY", "meta-llama/Meta-Llama-3.1-8B-Instruct", "https://deepinfra.com/docs/openai_api"),
  cloud("perplexity", "Perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY", "sonar", "https://docs.perplexity.ai/"),
  local("ollama", "Ollama", "http://127.0.0.1:11434/v1", "llama3.2", "https://github.com/ollama/ollama/blob/main/docs/openai.md"),
  local("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", "qwen2.5-7b-instruct", "https://lmstudio.ai/docs/app/api/endpoints/openai"),
  local("vllm", "vLLM", "http://127.0.0.1:8000/v1", "Qwen/Qwen2.5-7B-Instruct", "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html", "VLLM_API_KEY"),
  local("llamacpp", "llama.cpp server", "http://127.0.0.1:8080/v1", "default", "https://github.com/ggml-org/llama.cpp/tree/master/tools/server"),
];
