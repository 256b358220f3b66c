/** A readable client name from a user-agent, for the tray and `maxproxy sessions`. */
const RULES: Array<[RegExp, string]> = [
  [/openclaw/i, 'OpenClaw'],
  [/opencode/i, 'opencode'],
  [/codex/i, 'Codex'],
  [/claude-cli|claude-code/i, 'Claude Code'],
  [/^Anthropic\/|anthropic-sdk|anthropic-typescript|anthropic-python/i, 'Anthropic SDK'],
  [/^OpenAI\/|openai-node|openai-python|OpenAI\//i, 'OpenAI SDK'],
  [/ai-sdk|vercel/i, 'Vercel AI SDK'],
  [/langchain/i, 'LangChain'],
  [/open-webui|openwebui/i, 'Open WebUI'],
  [/^curl\//i, 'curl'],
  [/python-requests|aiohttp|httpx/i, 'Python'],
  [/node-fetch|undici|^node$/i, 'Node'],
  [/Mozilla\//, 'Browser'],
];

export function clientName(userAgent: string | undefined): string {
  if (!userAgent) return 'unknown';
  for (const [re, name] of RULES) if (re.test(userAgent)) return name;
  return userAgent.split(/[\s/]/)[0].slice(0, 24) || 'unknown';
}
