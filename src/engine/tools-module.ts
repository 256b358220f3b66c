import { createRequire } from 'node:module';
import type { ToolDef } from '../turn/types.js';
import type { ClientToolBridge as Bridge, McpRuntime } from './client-tools.js';

/**
 * The client-tool bridge and the MCP SDK behind it, loaded the first time a request
 * brings tools (the MCP SDK costs ~20 MB of RSS).
 *
 * A failed load must not be final: an `import()` that fails (EMFILE while descriptors
 * run out) stays failed in Node's ESM module map for the life of the process, dependencies
 * included. So the MCP SDK is loaded through `require` (its CommonJS build: a module that
 * throws while loading leaves the require cache), our own module through `import()` with
 * a fresh URL per attempt, and only a successful load is kept.
 */
export interface ToolsModule {
  ClientToolBridge: new (tools: ToolDef[]) => Bridge;
  /** The MCP SDK's runtime pieces, for the daemon's own tool server (web-fetch-tool.ts). */
  mcp: McpRuntime;
}

const require = createRequire(import.meta.url);
let loaded: ToolsModule | undefined;
let attempt = 0;

export async function loadToolsModule(): Promise<ToolsModule> {
  if (loaded) return loaded;
  const mcp: McpRuntime = {
    Server: require('@modelcontextprotocol/sdk/server/index.js').Server,
    CallToolRequestSchema: require('@modelcontextprotocol/sdk/types.js').CallToolRequestSchema,
    ListToolsRequestSchema: require('@modelcontextprotocol/sdk/types.js').ListToolsRequestSchema,
  };
  const n = attempt++;
  const mod = (await import(n === 0 ? './client-tools.js' : `./client-tools.js?retry=${n}`)) as typeof import('./client-tools.js');
  class ClientToolBridge extends mod.ClientToolBridge {
    constructor(tools: ToolDef[]) {
      super(tools, mcp);
    }
  }
  loaded = { ClientToolBridge, mcp };
  return loaded;
}
