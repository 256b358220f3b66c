import type { HookCallbackMatcher } from '@anthropic-ai/claude-agent-sdk';
import type { WebSearchOffer } from '../turn/types.js';
import { WEB_SEARCH_TOOL } from './cli-turn-translator.js';

/**
 * The client's limits on hosted search, enforced before the CLI runs its WebSearch tool
 * (a PreToolUse hook: the CLI's own permission path for a tool it is allowed to run).
 * The domains replace whatever the model put in the tool's input; a call past
 * `maxUses` in one turn is denied, and the model is told why.
 */
export function webSearchHook(offer: WebSearchOffer, usesThisTurn: () => number, onUse: () => void): HookCallbackMatcher {
  return {
    matcher: WEB_SEARCH_TOOL,
    hooks: [
      async (input) => {
        if (input.hook_event_name !== 'PreToolUse') return {};
        if (offer.maxUses !== undefined && usesThisTurn() >= offer.maxUses) {
          return {
            hookSpecificOutput: {
              hookEventName: 'PreToolUse',
              permissionDecision: 'deny',
              permissionDecisionReason: `web search limit reached (max_uses ${offer.maxUses} for this request)`,
            },
          };
        }
        onUse();
        const toolInput = (typeof input.tool_input === 'object' && input.tool_input !== null ? input.tool_input : {}) as Record<string, unknown>;
        const { allowed_domains: _a, blocked_domains: _b, ...rest } = toolInput;
        return {
          hookSpecificOutput: {
            hookEventName: 'PreToolUse',
            permissionDecision: 'allow',
            updatedInput: {
              ...rest,
              ...(offer.allowedDomains?.length ? { allowed_domains: offer.allowedDomains } : {}),
              ...(offer.blockedDomains?.length ? { blocked_domains: offer.blockedDomains } : {}),
            },
          },
        };
      },
    ],
  };
}
