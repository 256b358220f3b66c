/**
 * How a guard answers a refused request. The server passes a function that encodes
 * the canonical error in the endpoint's own wire format (OpenAI or Anthropic) and
 * sends it; guards never write error bodies themselves.
 */
import type { Request, Response } from 'express';
import type { TurnError } from '../../turn/types.js';

export type RespondError = (req: Request, res: Response, err: TurnError) => void;

/** Cut a client-supplied value for an error message: bounded, printable, quoted. */
export const quoteForMessage = (value: string, max = 100): string => {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut.replace(/[\u0000-\u001f\u007f]/g, '?'));
};
