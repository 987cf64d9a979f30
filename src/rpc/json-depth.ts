// How deep a JSON text nests, found by a scan before JSON.parse: V8 parses 100,000 levels of
// `[[[…` without trouble, but the value it returns would overflow the stack of the first
// recursive walk over it (String(), JSON.stringify, a logger), far from the edge that let it in.
// A JSON-RPC request needs a handful of levels; anything deeper is refused as a parse error.

/** Levels of nesting allowed in a request body or WebSocket message. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `text` opens more than `max` arrays or objects at once. Brackets inside strings do
 * not count; for text that is not JSON the answer does not matter (JSON.parse refuses it).
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
