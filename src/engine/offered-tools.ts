import type { TranslatorHooks } from './cli-turn-translator.js';
import { fromCliToolName } from './client-tool-names.js';

/**
 * Only the client's own, currently offered tools may reach the client: a client that
 * executes tool calls would otherwise run whatever the model named — a CLI built-in such
 * as `Bash` (which the CLI refused anyway), an `mcp__client__x` that was never
 * registered, or a client tool hidden by tool_choice "none". Anything else is held back
 * from the answer (the CLI refuses the call and the turn goes on) and logged.
 *
 * `offered`: the client tool names of this turn; undefined or empty = none offered.
 */
export function offeredToolHooks(
  offered: ReadonlySet<string> | undefined,
  onForeign: (cliName: string) => void,
): Pick<TranslatorHooks, 'clientToolName' | 'onForeignTool'> {
  return {
    clientToolName: (cliName) => {
      const name = fromCliToolName(cliName);
      return name !== undefined && offered?.has(name) ? name : undefined;
    },
    onForeignTool: onForeign,
  };
}
