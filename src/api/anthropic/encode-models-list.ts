/** GET /v1/models in Anthropic's list format (one page: has_more is always false). */
import type { AnthropicModelsList } from './wire-types.js';

/** What the API puts in created_at when a release date is unknown. */
const UNKNOWN_RELEASE = '1970-01-01T00:00:00Z';

export function encodeModelsList(models: { id: string; displayName: string; createdAt?: string }[]): AnthropicModelsList {
  const data = models.map((m) => ({
    type: 'model' as const,
    id: m.id,
    display_name: m.displayName,
    created_at: m.createdAt ?? UNKNOWN_RELEASE,
  }));
  return {
    data,
    has_more: false,
    first_id: data.length > 0 ? data[0].id : null,
    last_id: data.length > 0 ? data[data.length - 1].id : null,
  };
}
