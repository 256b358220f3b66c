import type { WebSearchHit } from '../../turn/types.js';

/** A url_citation's location and source, as both OpenAI APIs carry it. */
export interface UrlCitation {
  type: 'url_citation';
  start_index: number;
  end_index: number;
  url: string;
  title: string;
}

/**
 * url_citation annotations: each search result url, where it occurs in the answer (the
 * CLI tells the model to cite its sources as markdown links, so the urls are in the text).
 * Indices are in UTF-16 code units, as JavaScript (and the openai SDK) index strings.
 */
export function urlCitations(text: string, hits: readonly WebSearchHit[]): UrlCitation[] {
  const out: UrlCitation[] = [];
  const seen = new Set<string>();
  for (const h of hits) {
    if (seen.has(h.url) || h.url === '') continue;
    seen.add(h.url);
    for (let at = text.indexOf(h.url); at !== -1; at = text.indexOf(h.url, at + h.url.length)) {
      out.push({ type: 'url_citation', start_index: at, end_index: at + h.url.length, url: h.url, title: h.title });
    }
  }
  return out.sort((a, b) => a.start_index - b.start_index);
}
