import { codex } from './codex.js';
import { openclaw } from './openclaw.js';
import { opencode } from './opencode.js';
import type { ClientFormat, ClientId } from './types.js';

/** Every tool `maxproxy connect` knows, by id. */
export const FORMATS: Record<ClientId, ClientFormat> = { openclaw, opencode, codex };
