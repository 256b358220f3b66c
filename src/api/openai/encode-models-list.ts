/** GET /v1/models in OpenAI's list format. */
import type { ChatModelsList } from './wire-types.js';

export function encodeModelsList(models: { id: string; displayName: string }[], created: number): ChatModelsList {
  return {
    object: 'list',
    data: models.map((m) => ({ id: m.id, object: 'model' as const, created, owned_by: 'anthropic' })),
  };
}
