/**
 * The de-dup store keys of a delivery. Two kinds share one store: `<endpoint>:<event id>` and
 * `<endpoint>:sig:<signature hex>`. The id is the sender's choice (and, with an unsigned id header,
 * anyone's who replays a capture), so it is escaped until no id key can spell a signature key, nor
 * another endpoint's key:
 * - the endpoint name: `~` becomes `~~` and `:` becomes `~c`, so the first `:` ends it;
 * - an id starting with `sig:` or `~` gets a leading `~`.
 * Every name and id without those characters keeps the key it always had, so marks stored before
 * this format still de-duplicate; only ids starting `sig:` or `~` (and names with `:` or `~`) change
 * form, and for them an earlier mark is forgotten once (a retry inside the window is run again).
 */
export function eventIdKey(endpoint: string, id: string): string {
  return `${endpointPart(endpoint)}:${id.startsWith('sig:') || id.startsWith('~') ? `~${id}` : id}`;
}

/** The key of a signed digest (hex), claimed beside the id so a replay under another id is caught. */
export function signatureKey(endpoint: string, hex: string): string {
  return `${endpointPart(endpoint)}:sig:${hex}`;
}

function endpointPart(name: string): string {
  return name.includes(':') || name.includes('~') ? name.replace(/~/g, '~~').replace(/:/g, '~c') : name;
}
