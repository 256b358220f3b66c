/**
 * How the client's tools are named inside Claude Code. Kept apart from the MCP
 * server itself so that naming costs nothing to load (the MCP SDK is ~20 MB of RSS,
 * loaded only when a request brings tools).
 */

/** The MCP server name the client's tools live under; the CLI calls them mcp__client__<name>. */
export const CLIENT_SERVER = 'client';
const PREFIX = `mcp__${CLIENT_SERVER}__`;

export const toCliToolName = (name: string): string => `${PREFIX}${name}`;
export const fromCliToolName = (name: string): string | undefined => (name.startsWith(PREFIX) ? name.slice(PREFIX.length) : undefined);

/** The MCP server the daemon's own tools live under (decision 095): its web fetch is mcp__maxproxy__web_fetch. */
export const DAEMON_SERVER = 'maxproxy';
export const WEB_FETCH_CLI_TOOL = `mcp__${DAEMON_SERVER}__web_fetch`;
